/* feed.h - the live market data providers' protocols (pure: no I/O).
 *
 * For each provider (Coinbase Exchange, Binance spot, Kraken v2, Finnhub,
 * Alpaca v2, Polygon/Massive) this module builds the messages a client sends
 * (authentication, subscription) and decodes the messages it receives into
 * trade records (tick.h, with their trade_detail) and control events:
 * subscription confirmations, heartbeats, authentication results and errors,
 * and, subscribed with quotes, into quote records (the best bid and offer).
 * docs/FEEDS.md describes each provider's messages and how their fields map.
 *
 * Symbols have one normalised form (feed_symbol_normalise): crypto pairs as
 * BASE-QUOTE in capitals (BTC-USD; Kraken's XBT is BTC), stocks as the ticker
 * in capitals (AAPL, BRK.B). The provider's own spelling is kept in
 * trade_detail.raw_symbol.
 *
 * Numbers are exact: a price or size sent as a string ("97012.34000000") is
 * parsed digit by digit into a decimal (mantissa, scale); one sent as a JSON
 * number is read back from the shortest decimal that round-trips its double,
 * which is the literal itself for up to 15 significant digits. Sizes become
 * lots of 10^-FEED_CRYPTO_SIZE_SCALE for crypto and whole shares for stocks;
 * a size that does not fit that unit exactly is rejected, never rounded. */
#ifndef TICKLAKE_FEED_H
#define TICKLAKE_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "tick.h"
#include "util.h"

typedef enum {
    FEED_COINBASE,
    FEED_BINANCE,
    FEED_KRAKEN,
    FEED_FINNHUB,
    FEED_ALPACA,
    FEED_POLYGON,
    FEED_NPROVIDERS
} feed_provider;

#define FEED_CRYPTO_SIZE_SCALE 8 /* crypto sizes in lots of 1e-8 (a satoshi for BTC) */

/* "coinbase", "binance", "kraken", "finnhub", "alpaca" or "polygon"; -1 otherwise. */
int feed_provider_parse(const char *name, feed_provider *out);
const char *feed_provider_name(feed_provider p);
/* The provider's production WebSocket URL (Finnhub's without its token). */
const char *feed_default_url(feed_provider p);
/* The environment variables of its key and secret as its own SDKs name them,
 * NULL when it needs none (FINNHUB_TOKEN; APCA_API_KEY_ID, APCA_API_SECRET_KEY;
 * POLYGON_API_KEY). */
const char *feed_key_env(feed_provider p);
const char *feed_secret_env(feed_provider p);
/* 1 when the provider streams crypto (sizes in lots, see above). */
int feed_is_crypto(feed_provider p);

/* Parses s[0..len) ("-"? digits ("." digits)?) into mant / 10^scale exactly:
 * no exponent, at most 18 significant digits and scale <= 18. Trailing zeros
 * are kept (scale counts them). -1 with errstr otherwise. */
int feed_decimal_parse(const char *s, size_t len, int64_t *mant, int *scale, char *errstr,
                       size_t errstr_size);
/* The decimal of a double read from a JSON number: its shortest round-trip
 * digits. -1 when it does not fit. */
int feed_decimal_from_double(double v, int64_t *mant, int *scale, char *errstr, size_t errstr_size);
/* The same through printf and strtod alone: what the fast path must equal
 * (for tests). */
int feed_decimal_from_double_slow(double v, int64_t *mant, int *scale, char *errstr,
                                  size_t errstr_size);
/* mant / 10^scale as mant' / 10^want exactly (want >= 0), or -1 when digits
 * would be lost or it overflows. */
int feed_decimal_rescale(int64_t mant, int scale, int want, int64_t *out);

/* RFC 3339 ("2024-06-14T19:55:00.123456789Z", or with +hh:mm) to ns since the
 * epoch; *prec is the number of fraction digits (0..9). -1 when malformed. */
int feed_parse_rfc3339(const char *s, size_t len, int64_t *ns, int *prec);

/* The normalised form of the provider's symbol raw (see the file comment). */
int feed_symbol_normalise(feed_provider p, const char *raw, char *out, size_t out_size);
/* The provider's spelling of normalised symbol sym, for subscriptions. */
int feed_symbol_for_provider(feed_provider p, const char *sym, char *out, size_t out_size);

/* Appends the authentication message (empty when the provider has none or
 * authenticates in the URL). */
void feed_auth_message(feed_provider p, const char *key, const char *secret, buf *out);
/* Appends the subscription messages for symbols[0..n) (normalised), one per
 * line ('\n' after each); req_id numbers the request where the protocol has
 * one. quotes: also the best bid and offer, where the provider streams them
 * (1 from feed_has_quotes; Kraken: a second request, req_id + 1). -1 with errstr when a symbol has
 * no provider spelling. */
int feed_subscribe_messages(feed_provider p, const char *const *symbols, size_t n, int req_id,
                            int quotes, buf *out, char *errstr, size_t errstr_size);
/* 1 when ticklake decodes the provider's best bid and offer: Coinbase
 * ticker, Binance bookTicker, Kraken ticker (sizes in lots, size_scale 8),
 * Alpaca quotes, Polygon Q (all but Finnhub). */
int feed_has_quotes(feed_provider p);
/* 1 when the provider needs authentication confirmed before subscribing. */
int feed_needs_auth(feed_provider p);

/* What one received message held. */
/* A trade of a provider whose ids are consecutive (Coinbase, Binance, Kraken) that was received
 * but is bad (a bad price, size or time): its id came, so it is no gap. before: how many of the
 * message's good trades precede it. */
typedef struct feed_rejected {
    char symbol[TICK_SYMBOL_MAX]; /* normalised */
    int64_t id;
    size_t before;
} feed_rejected;

typedef struct feed_msg {
    trade *trades; /* decoded trades, in message order */
    trade_detail *details;
    size_t ntrades, cap;
    quote *quotes; /* decoded quotes (subscribed with quotes), in message order */
    size_t nquotes, qcap;
    feed_rejected *rejected; /* bad trades whose id was read (counted in bad too) */
    size_t nrejected, rcap;
    int subscribed;                  /* a subscription was confirmed */
    int auth_ok;                     /* authentication succeeded */
    int heartbeat;                   /* a heartbeat or keep-alive */
    int shutdown;                    /* the server announced it will close (reconnect now) */
    int64_t hb_last_trade_id;        /* Coinbase heartbeat: the product's last trade id, else 0 */
    char hb_symbol[TICK_SYMBOL_MAX]; /* its normalised product */
    int error;                       /* the provider reported an error: error_text */
    int fatal; /* ... one retrying cannot cure (rejected key, bad symbol, symbol limit) */
    char error_text[256];
    int64_t bad;                /* trades in the message that could not be used */
    int64_t skipped;            /* entries that are not trades (Finnhub price updates, quotes) */
    char bad_reason[256];       /* why the first bad one was bad */
    struct json_parser *parser; /* owned: its memory is reused message after message */
} feed_msg;

void feed_msg_init(feed_msg *m);
void feed_msg_release(feed_msg *m);

/* Decodes one message received at recv_ns (ns since epoch) into m (reset
 * first). Returns 0, or -1 with errstr when the message as a whole is not
 * one the provider sends (not JSON, no known shape); a message whose trades
 * are partly unusable returns 0 with m->bad and m->bad_reason. */
int feed_decode(feed_provider p, const char *data, size_t len, int64_t recv_ns, feed_msg *m,
                char *errstr, size_t errstr_size);

#endif
