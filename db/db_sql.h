/*
 * The SQL the programs run, compiled in from sql/ (sql/embed.sh writes sql_embedded.c), so an
 * installed binary needs no SQL directory and the lookup has one text shared by the daemon,
 * itinerad-db and the pgbench floor of bench/.
 */
#pragma once

struct itin_migration {
	int version;		/* NNN of sql/migrations/NNN_name.sql */
	const char *name;
	const char *sql;
};

extern const struct itin_migration itin_migrations[];
extern const unsigned itin_num_migrations;

/* sql/lookup.sql: $1 subscriber key (bytea), $2 first day (date), $3 the key under the
 * previous secret or NULL -> sealed mask, day, place, first, last */
extern const char itin_sql_lookup[];
/* The same lookup for many keys at once: $1 keys (text[], hexadecimal), $2 their first days
 * (date[]), $3 their previous keys (text[], hexadecimal or NULL) -> the key's position in $1
 * (from 1), then sql/lookup.sql's columns, in that order: the function itin_lookup
 * (migration 090) itself. */
extern const char itin_sql_lookup_batch[];
#define ITIN_SQL_LOOKUP_BATCH_PARAMS 3
/* sql/grants.sql: the privileges of the daemon's and the loader's roles, applied by every
 * migrate after the migrations. */
extern const char itin_sql_grants[];
/* sql/proxy.sql: the routing functions of a partitioned layout's proxy database, applied by
 * migrate after the grants when the database has the PL/Proxy cluster 'itinerad'. */
extern const char itin_sql_proxy[];
