/* catalog_ddl.h - statements that declare a catalog table in another engine (Athena, Glue,
 * Hive, Spark, Trino) over the same files. Pure. */
#ifndef TICKLAKE_CATALOG_DDL_H
#define TICKLAKE_CATALOG_DDL_H

#include "catalog.h"
#include "util.h"

/* DDL dialects: Hive's (Athena, Glue, Spark, Hive) and Trino's. */
typedef enum { CATALOG_DDL_HIVE, CATALOG_DDL_TRINO } catalog_ddl_dialect;

/* Appends to out the statement that declares table t in another engine over
 * the same files, with the table's folder under location (the lake's URI,
 * e.g. "s3://bucket/lake" once the lake is copied there):
 *   Hive:  CREATE EXTERNAL TABLE IF NOT EXISTS `t` (...) PARTITIONED BY (...)
 *          STORED AS PARQUET LOCATION '<location>/<table>/' TBLPROPERTIES (...);
 *          (CSV: ROW FORMAT DELIMITED ... TEXTFILE; JSON: the OpenX JSON SerDe)
 *   Trino: CREATE TABLE IF NOT EXISTS "t" (..., keys last) WITH (format =
 *          'PARQUET', external_location = '...', partitioned_by = ARRAY[...]);
 * With add_partitions it also registers the catalog's partitions (Hive: ALTER
 * TABLE ADD IF NOT EXISTS PARTITION ... LOCATION ...; Trino:
 * system.sync_partition_metadata). -1 with errstr when a column's type has no
 * equivalent there (TIME, UUID, INTERVAL, ...). Pure. */
int catalog_ddl(const catalog_table *t, const char *location, catalog_ddl_dialect d,
                int add_partitions, buf *out, char *errstr, size_t errstr_size);
/* Appends the other engine's name of DuckDB type duck (nested types too:
 * "INTEGER[]" is array<int> / array(integer)). -1 with errstr if none. Pure. */
int catalog_ddl_type(const char *duck, catalog_ddl_dialect d, buf *out, char *errstr,
                     size_t errstr_size);

#endif
