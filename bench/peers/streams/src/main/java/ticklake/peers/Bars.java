package ticklake.peers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Event-time tumbling OHLCV+VWAP bars, defined as in ticklake's docs/DATA.md ("bar"): open is the first
 * trade in event-time order (ties: lower id), close the last (ties: higher id), vwap = turnover / volume
 * clamped to [low, high]. A window closes when stream time (per task = per input partition, as
 * ticklake's per-partition watermark) reaches window end + grace; only final bars are emitted
 * (EmitStrategy.onWindowClose), and late trades are dropped, as `ticklake process --late drop` does.
 * Output records carry the window's event time as their timestamp (Kafka Streams' rule): replays of
 * trades older than the broker's retention.ms lose their bars to time retention.
 *
 * Usage: Bars BROKERS INPUT_TOPIC OUTPUT_PREFIX GRACE_MS INTERVAL... (e.g. 1s 1m)
 * Writes final bars as JSON to OUTPUT_PREFIX + interval; exits once its committed offsets reach the end
 * offsets the input had at start (the input is produced before the app starts).
 */
public final class Bars {
    /** One trade: only the fields bars need. */
    record Trade(long ts, double price, long size, long id) {}

    /** The aggregate of one window; the same fields and update rule as bar_add in src/core/bar.c. */
    static final class Agg {
        double open, high, low, close, turnover;
        long volume, trades, openTs, openId, closeTs, closeId;

        Agg add(Trade t) {
            if (trades == 0) {
                open = high = low = close = t.price;
                volume = t.size;
                turnover = t.price * (double) t.size;
                trades = 1;
                openTs = closeTs = t.ts;
                openId = closeId = t.id;
                return this;
            }
            if (t.ts < openTs || (t.ts == openTs && t.id < openId)) {
                open = t.price;
                openTs = t.ts;
                openId = t.id;
            }
            if (t.ts > closeTs || (t.ts == closeTs && t.id > closeId)) {
                close = t.price;
                closeTs = t.ts;
                closeId = t.id;
            }
            if (t.price > high) high = t.price;
            if (t.price < low) low = t.price;
            volume += t.size;
            turnover += t.price * (double) t.size;
            trades++;
            return this;
        }

        double vwap() {
            double v = turnover / (double) volume;
            return v < low ? low : v > high ? high : v;
        }
    }

    static long longField(String s, String name) {
        int i = s.indexOf("\"" + name + "\":");
        if (i < 0) throw new IllegalArgumentException("no " + name + " in " + s);
        i += name.length() + 3;
        int j = i;
        while (j < s.length() && (Character.isDigit(s.charAt(j)) || s.charAt(j) == '-')) j++;
        return Long.parseLong(s.substring(i, j));
    }

    static double doubleField(String s, String name) {
        int i = s.indexOf("\"" + name + "\":");
        if (i < 0) throw new IllegalArgumentException("no " + name + " in " + s);
        i += name.length() + 3;
        int j = i;
        while (j < s.length() && ",}".indexOf(s.charAt(j)) < 0) j++;
        return Double.parseDouble(s.substring(i, j).trim());
    }

    /** Parses ticklake's JSON trade (docs/DATA.md "trade"); the bench ingests with --encoding json. */
    static Trade parse(byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        return new Trade(longField(s, "ts"), doubleField(s, "price"), longField(s, "size"), longField(s, "id"));
    }

    static final class TradeSerde implements Serde<Trade> {
        public Serializer<Trade> serializer() {
            return (topic, t) -> ByteBuffer.allocate(32).putLong(t.ts).putDouble(t.price).putLong(t.size)
                .putLong(t.id).array();
        }

        public Deserializer<Trade> deserializer() {
            return (topic, b) -> {
                if (b == null) return null;
                if (b.length == 32) {
                    ByteBuffer bb = ByteBuffer.wrap(b);
                    return new Trade(bb.getLong(), bb.getDouble(), bb.getLong(), bb.getLong());
                }
                return parse(b);
            };
        }
    }

    static final class AggSerde implements Serde<Agg> {
        public Serializer<Agg> serializer() {
            return (topic, a) -> ByteBuffer.allocate(11 * 8).putDouble(a.open).putDouble(a.high).putDouble(a.low)
                .putDouble(a.close).putDouble(a.turnover).putLong(a.volume).putLong(a.trades).putLong(a.openTs)
                .putLong(a.openId).putLong(a.closeTs).putLong(a.closeId).array();
        }

        public Deserializer<Agg> deserializer() {
            return (topic, b) -> {
                if (b == null) return null;
                ByteBuffer bb = ByteBuffer.wrap(b);
                Agg a = new Agg();
                a.open = bb.getDouble();
                a.high = bb.getDouble();
                a.low = bb.getDouble();
                a.close = bb.getDouble();
                a.turnover = bb.getDouble();
                a.volume = bb.getLong();
                a.trades = bb.getLong();
                a.openTs = bb.getLong();
                a.openId = bb.getLong();
                a.closeTs = bb.getLong();
                a.closeId = bb.getLong();
                return a;
            };
        }
    }

    /** Event time from the value's `ts` (ns) in ms; windows of whole seconds align the same way. */
    static final class TsExtractor implements TimestampExtractor {
        public long extract(ConsumerRecord<Object, Object> r, long partitionTime) {
            Trade t = (Trade) r.value();
            return Math.floorDiv(t.ts, 1_000_000L);
        }
    }

    static long intervalMs(String name) {
        long n = Long.parseLong(name.substring(0, name.length() - 1));
        switch (name.charAt(name.length() - 1)) {
            case 's': return n * 1000;
            case 'm': return n * 60_000;
            case 'h': return n * 3_600_000;
            default: throw new IllegalArgumentException("interval " + name);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: Bars BROKERS INPUT_TOPIC OUTPUT_PREFIX GRACE_MS INTERVAL...");
            System.exit(2);
        }
        String brokers = args[0], input = args[1], prefix = args[2];
        long graceMs = Long.parseLong(args[3]);
        String appId = System.getenv().getOrDefault("APP_ID", "peers-streams-bars");

        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, Trade> trades = builder.stream(input,
            Consumed.with(Serdes.String(), new TradeSerde()).withTimestampExtractor(new TsExtractor()));
        for (int i = 4; i < args.length; i++) {
            String name = args[i];
            trades.groupByKey(Grouped.with(Serdes.String(), new TradeSerde()))
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(intervalMs(name)), Duration.ofMillis(graceMs)))
                .emitStrategy(org.apache.kafka.streams.kstream.EmitStrategy.onWindowClose())
                .aggregate(Agg::new, (k, t, a) -> a.add(t),
                    // Retention beyond size + grace: on a fast replay, windows must stay in the store until
                    // the close check (below, every record) has emitted them.
                    Materialized.<String, Agg, WindowStore<Bytes, byte[]>>as("bars-" + name)
                        .withKeySerde(Serdes.String()).withValueSerde(new AggSerde()).withCachingDisabled()
                        .withRetention(Duration.ofMillis(Math.max(intervalMs(name) + graceMs, 3_600_000L))))
                .toStream()
                .filter((wk, a) -> a != null)
                .map((wk, a) -> {
                    long start = wk.window().start() * 1_000_000L, end = wk.window().end() * 1_000_000L;
                    String json = "{\"symbol\":\"" + wk.key() + "\",\"interval\":\"" + name + "\",\"window_start\":"
                        + start + ",\"window_end\":" + end + ",\"open\":" + a.open + ",\"high\":" + a.high
                        + ",\"low\":" + a.low + ",\"close\":" + a.close + ",\"volume\":" + a.volume
                        + ",\"turnover\":" + a.turnover + ",\"vwap\":" + a.vwap() + ",\"trades\":" + a.trades + "}";
                    return KeyValue.pair(wk.key(), json);
                })
                .to(prefix + name, Produced.with(Serdes.String(), Serdes.String()));
        }

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.getInteger("threads", 1));
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        // onWindowClose checks for closed windows at most once per this many wall-clock ms (default
        // 1000): at replay speed stream time moves minutes per second, so check on every record.
        p.put("__emit.interval.ms.kstreams.windowed.aggregation__", 0L);
        p.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("state.dir", "/tmp/peers-streams-state"));
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

        Properties ap = new Properties();
        ap.put("bootstrap.servers", brokers);
        try (Admin admin = Admin.create(ap)) {
            Set<String> parts = admin.describeTopics(List.of(input)).allTopicNames().get().get(input).partitions()
                .stream().map(pi -> Integer.toString(pi.partition())).collect(Collectors.toSet());
            Map<TopicPartition, OffsetSpec> q = new HashMap<>();
            for (String s : parts) q.put(new TopicPartition(input, Integer.parseInt(s)), OffsetSpec.latest());
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(q).all().get().forEach((tp, r) -> end.put(tp, r.offset()));

            // Output topics exist before the app starts, with the input's partitions, as ticklake
            // creates its own.
            List<org.apache.kafka.clients.admin.NewTopic> outs = new java.util.ArrayList<>();
            Set<String> have = admin.listTopics().names().get();
            for (int i = 4; i < args.length; i++)
                if (!have.contains(prefix + args[i]))
                    outs.add(new org.apache.kafka.clients.admin.NewTopic(prefix + args[i], parts.size(), (short) 1));
            if (!outs.isEmpty()) admin.createTopics(outs).all().get();

            long t0 = System.nanoTime();
            KafkaStreams streams = new KafkaStreams(builder.build(), p);
            streams.setUncaughtExceptionHandler(e -> {
                e.printStackTrace();
                return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            streams.start();
            // Done when every input partition's committed offset reached the end it had at start. With
            // read_committed the end may sit one past a transaction marker: accept end - 1 after a while.
            while (true) {
                Thread.sleep(50);
                if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                    System.err.println("streams stopped: " + streams.state());
                    System.exit(1);
                }
                Map<TopicPartition, OffsetAndMetadata> c =
                    admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
                boolean done = true;
                for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
                    OffsetAndMetadata o = c.get(e.getKey());
                    if (e.getValue() > 0 && (o == null || o.offset() < e.getValue())) done = false;
                }
                if (done) break;
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            streams.close(Duration.ofSeconds(30));
            System.out.printf("streams_seconds %.3f%n", secs);
        }
    }
}
