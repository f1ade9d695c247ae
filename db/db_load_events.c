/*
 * Event folding, in two steps. In memory, each event is resolved to a place (cell registry for
 * domestic MCCs, the country for others; unknown cells are counted, never guessed), its
 * subscriber's MSISDN and IMSI are keyed once per subscriber, and events are folded per
 * (subscriber, local day, place). Then, per batch: the batch's identities that no earlier
 * batch of this load has written (new ones, and those with a new IMSI) are COPYed to a
 * temporary table and merged with set-based SQL (new subscribers get an id, IMSI keys follow
 * their MSISDN), the ids are read back, and the folded rows are COPYed into presence_recent,
 * which loads only append to: a row meeting one loaded before is folded with it by
 * `itinerad-db retention`, and merged by the engine until then (migration 054). A batch is
 * one transaction, so a failed load leaves whole batches, never half of one.
 *
 * The reading and folding of one batch overlaps with PostgreSQL's writing of the one before:
 * a full batch is handed, with its own fold table and a copy of the identities it sends, to a
 * writer thread, which is joined before the next batch is handed over. While it runs, the
 * writer alone touches the connection, that batch and the subscriber ids and partitions by
 * identity; the reader alone everything else (the next batch's identities, collected before
 * the join, and the proxy's second connection). No locks: the join is the only
 * synchronisation. PostgreSQL's writing is then what bounds a load (of 10 M events, the reader
 * waits for the writer 13 s out of 19).
 *
 * On a partitioned layout (issue 21; the proxy's cluster map, db_partitions.h), each batch is
 * written to every partition at once, a writer thread per partition, each in its own
 * transaction: the subscribers, their MSISDN keys and their presence to the partition of the
 * MSISDN key, each IMSI key to its own partition, naming its holder's MSISDN key (migration
 * 195), with the same rule as on one node (the holder seen with it last). Which partition a
 * key is on, the proxy says (itin_key_partitions: PL/Proxy's own hash, defined there only),
 * asked over a second connection while the writer still writes the batch before, so that
 * the routing is off the loads' critical path. The transactions are
 * committed once all of them have written the batch, else all rolled back: a failed batch is
 * on no partition (short of a partition lost between two COMMITs).
 *
 * The tables sized by the subscribers outgrow talloc's limit of 256 MB for one chunk (a feed's
 * 5 M subscribers' identities take 720 MB): they are kept in pages (struct paged).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/utils.h>
#include <talloc.h>

#include "common/log.h"
#include "common/feed_csv.h"
#include "common/localtime.h"
#include "common/msisdn.h"
#include "common/reply_address.h"
#include "common/subscriber_key.h"
#include "db/db_copy.h"
#include "db/db_load_events.h"
#include "db/db_partitions.h"
#include "engine/places.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A table of fixed-size elements in pages of PAGE_LEN: a talloc array of pages, each page its
 * talloc child, so that freeing the array frees the table. Growing it never moves an element. */
#define PAGE_SHIFT 16
#define PAGE_LEN ((size_t)1 << PAGE_SHIFT)
#define PAGE_MASK (PAGE_LEN - 1)
struct paged {
	void **page;
	size_t len;		/* the elements it has room for: pages * PAGE_LEN */
};
#define PAGED_AT(p, type, i) (&((type *)(p)->page[(i) >> PAGE_SHIFT])[(i) & PAGE_MASK])

/* Room for n elements of size bytes (new pages zeroed if zero: a map's free slots); 0 or
 * -ENOMEM. */
static int paged_reserve(void *ctx, struct paged *p, size_t size, size_t n, bool zero)
{
	size_t pages = (n + PAGE_MASK) >> PAGE_SHIFT;
	void **page;

	if (n <= p->len)
		return 0;
	page = talloc_realloc(ctx, p->page, void *, pages);
	if (!page)
		return -ENOMEM;
	p->page = page;
	for (; p->len < n; p->len += PAGE_LEN) {
		page[p->len >> PAGE_SHIFT] = zero ? talloc_zero_size(page, PAGE_LEN * size)
						  : talloc_size(page, PAGE_LEN * size);
		if (!page[p->len >> PAGE_SHIFT])
			return -ENOMEM;
	}
	return 0;
}

/* Open addressing maps; key 0 marks a free slot, so keys are stored plus one. */
struct cell_slot { uint64_t key; int32_t place; };
struct ident_slot { uint64_t key; uint32_t ident; };
struct fold_slot { uint64_t key; int32_t place; uint32_t events; int64_t first, last; };
/* A folded row's sort key beside its slot: sorting compares these, not the slots. */
struct row_order { int64_t subscriber; int32_t day; uint32_t slot; };

struct ident {
	char imsi[16];
	int64_t imsi_at;		/* its newest event with this IMSI */
	uint8_t msisdn_key[ITIN_SUBSCRIBER_KEY_LEN];
	uint8_t imsi_key[ITIN_SUBSCRIBER_KEY_LEN];
	uint8_t previous_msisdn_key[ITIN_SUBSCRIBER_KEY_LEN];	/* during a key rotation */
	char mask[16];
	uint32_t batch;			/* last batch that used it */
	bool written;			/* its keys sent by an earlier batch (a failed batch stops the load) */
};

/* An identity as a batch sends it: copied when the batch is handed over, since the reader
 * may change the identity's IMSI meanwhile. n: its index (and subscriber_of's). */
struct ident_row {
	uint32_t n;
	uint8_t msisdn_key[ITIN_SUBSCRIBER_KEY_LEN];
	uint8_t imsi_key[ITIN_SUBSCRIBER_KEY_LEN];
	uint8_t previous_msisdn_key[ITIN_SUBSCRIBER_KEY_LEN];
	int64_t imsi_at;
	uint8_t mask_sealed[ITIN_SEALED_MAX];
	int mask_sealed_len;
	uint8_t msisdn_part, imsi_part;	/* the partitions of its keys (partitioned layout) */
};

/* The batch the writer thread has: its folded rows, the identities it sends, the newest event
 * read when it was handed over, and, once joined, the rows it wrote (-1: it failed). */
struct batch_job {
	struct fold_slot *fold;
	struct paged idents;		/* of struct ident_row */
	size_t num_idents;
	int64_t newest;
	int64_t rows;
};

/* A partition's writer thread for one batch: its connection, its part of the batch's sorted
 * rows (loader's order), the rows it wrote or -1. */
struct part_writer {
	struct loader *l;
	int part;			/* -1: a single node (all of the batch) */
	PGconn *conn;
	size_t order_first;
	int64_t rows;
	pthread_t thread;
};

struct loader {
	PGconn *conn;
	struct itin_partitions *parts;			/* NULL: a single node */
	PGconn *router;		/* the proxy again: routes a batch while the writer uses conn */
	struct part_writer *part_writer;		/* one per partition */
	struct paged part_of;		/* uint8_t: each identity's MSISDN key's partition */
	const struct itin_service_config *service;	/* country code, domestic MCCs */
	struct itin_load_stats *st;
	struct itin_subscriber_keyer *keyer;		/* the current secret's */
	struct itin_subscriber_keyer *previous_keyer;	/* during a key rotation, else NULL */
	struct itin_sealer *sealer;			/* of the masks */
	const char *subscriber_sql[8];			/* write_subscribers' statements */
	unsigned num_subscriber_sql;
	const char *imsi_sql;				/* a partition's IMSI keys (write_imsi_keys) */
	struct itin_feed_bounds bounds;			/* the event times this load accepts */

	struct cell_slot *cells;
	size_t cells_mask;

	struct paged ident_map;		/* of struct ident_slot */
	size_t ident_mask, num_idents_mapped;
	struct paged idents;		/* of struct ident */
	size_t num_idents;
	struct paged collected;		/* of struct ident_row: the next batch's, routed */
	size_t num_collected;

	struct fold_slot *fold;		/* the batch being read */
	size_t fold_mask, num_fold;
	struct fold_slot *spare_fold;	/* the writer's, then cleared by it for the next batch */
	unsigned batch_rows;		/* folded rows per batch (the fold table half full) */
	uint32_t batch;
	int64_t newest;
	const char *error;		/* set when the load must stop */

	/* The writer's while it runs (the reader's in between). */
	struct batch_job job;
	struct row_order *order;	/* the batch's slots in COPY order */
	struct paged subscriber_of;	/* int64_t: each identity's subscriber id, once a batch sent it */
	pthread_t writer;
	bool writing;
};

static uint64_t cell_key(uint16_t mcc, uint16_t mnc, uint32_t lac, uint32_t ci)
{
	return ((uint64_t)mcc << 54 | (uint64_t)mnc << 44 | (uint64_t)lac << 28 | ci) + 1;
}

static void cell_put(struct loader *l, uint64_t key, int32_t place)
{
	size_t i = mix64(key) & l->cells_mask;

	while (l->cells[i].key && l->cells[i].key != key)
		i = (i + 1) & l->cells_mask;
	l->cells[i].key = key;
	l->cells[i].place = place;
}

static bool cell_get(const struct loader *l, uint64_t key, int32_t *place)
{
	size_t i = mix64(key) & l->cells_mask;

	for (; l->cells[i].key; i = (i + 1) & l->cells_mask) {
		if (l->cells[i].key == key) {
			*place = l->cells[i].place;
			return true;
		}
	}
	return false;
}

static int load_cells(struct loader *l)
{
	PGresult *res = itin_db_rows(l->conn, "SELECT mcc, mnc, lac, ci, region_code FROM cell", 0,
				     NULL, "reading the cell registry");
	size_t n, size = 1024;

	if (!res)
		return -EIO;
	n = PQntuples(res);
	while (size < 2 * n)
		size *= 2;
	l->cells = talloc_zero_array(l, struct cell_slot, size);
	if (!l->cells) {
		PQclear(res);
		return -ENOMEM;
	}
	l->cells_mask = size - 1;
	for (size_t r = 0; r < n; r++) {
		cell_put(l, cell_key(atoi(PQgetvalue(res, r, 0)), atoi(PQgetvalue(res, r, 1)),
				     strtoul(PQgetvalue(res, r, 2), NULL, 10),
				     strtoul(PQgetvalue(res, r, 3), NULL, 10)),
			 atoi(PQgetvalue(res, r, 4)));
	}
	PQclear(res);
	return 0;
}

static struct ident_slot *ident_slot(const struct paged *map, size_t i)
{
	return PAGED_AT(map, struct ident_slot, i);
}

static struct ident *ident_at(const struct loader *l, size_t i)
{
	return PAGED_AT(&l->idents, struct ident, i);
}

static bool grow_ident_map(struct loader *l)
{
	size_t size = l->ident_map.len ? 2 * (l->ident_mask + 1) : PAGE_LEN;
	struct paged map = { 0 };

	if (paged_reserve(l, &map, sizeof(struct ident_slot), size, true) < 0) {
		talloc_free(map.page);
		return false;
	}
	for (size_t i = 0; l->ident_map.len && i <= l->ident_mask; i++) {
		const struct ident_slot *s = ident_slot(&l->ident_map, i);
		size_t j;

		if (!s->key)
			continue;
		for (j = mix64(s->key) & (size - 1); ident_slot(&map, j)->key; j = (j + 1) & (size - 1))
			;
		*ident_slot(&map, j) = *s;
	}
	talloc_free(l->ident_map.page);
	l->ident_map = map;
	l->ident_mask = size - 1;
	return true;
}

/* The identity of an event's subscriber: keyed by MSISDN. Its IMSI is the one of its newest
 * event: a new IMSI seen later replaces the old (a SIM swap), an older line with another IMSI
 * (a feed out of order) counts for presence only. */
static const char *ident_of(struct loader *l, const struct itin_feed_event *ev, uint32_t *out)
{
	uint64_t key = (strtoull(ev->msisdn, NULL, 10) << 4 | strlen(ev->msisdn)) + 1;
	struct ident_slot *s;
	struct ident *id;
	size_t i;

	if (2 * (l->num_idents_mapped + 1) > l->ident_mask + 1 && !grow_ident_map(l))
		return (l->error = "out of memory");
	for (i = mix64(key) & l->ident_mask; (s = ident_slot(&l->ident_map, i))->key;
	     i = (i + 1) & l->ident_mask) {
		if (s->key != key)
			continue;
		id = ident_at(l, s->ident);
		if (ev->time >= id->imsi_at) {
			if (strcmp(id->imsi, ev->imsi) != 0) {
				strcpy(id->imsi, ev->imsi);
				itin_subscriber_key_imsi(l->keyer, ev->imsi, id->imsi_key);
				id->written = false;	/* the IMSI key must follow */
			}
			id->imsi_at = ev->time;
		}
		*out = s->ident;
		return NULL;
	}
	if (paged_reserve(l, &l->idents, sizeof(struct ident), l->num_idents + 1, false) < 0)
		return (l->error = "out of memory");
	id = ident_at(l, l->num_idents);
	if (itin_msisdn_mask(ev->msisdn, l->service->country_code, id->mask) < 0)
		return "MSISDN cannot be masked";
	strcpy(id->imsi, ev->imsi);
	id->imsi_at = ev->time;
	if (itin_subscriber_key_msisdn(l->keyer, ev->msisdn, id->msisdn_key) < 0 ||
	    itin_subscriber_key_imsi(l->keyer, ev->imsi, id->imsi_key) < 0 ||
	    (l->previous_keyer && itin_subscriber_key_msisdn(l->previous_keyer, ev->msisdn,
							       id->previous_msisdn_key) < 0))
		return (l->error = "keying failed");
	id->batch = 0;
	id->written = false;
	s->key = key;
	s->ident = l->num_idents;
	l->num_idents_mapped++;
	*out = l->num_idents++;
	return NULL;
}

static void fold(struct loader *l, uint32_t ident, int32_t day, int32_t place, int64_t t)
{
	uint64_t key = ((uint64_t)ident << 32 | (uint32_t)day) + 1;
	size_t i = mix64(key ^ (uint64_t)place * 0x9e3779b97f4a7c15ULL) & l->fold_mask;
	struct fold_slot *s;

	for (; (s = &l->fold[i])->key; i = (i + 1) & l->fold_mask) {
		if (s->key == key && s->place == place) {
			s->events++;
			if (t < s->first)
				s->first = t;
			if (t > s->last)
				s->last = t;
			return;
		}
	}
	*s = (struct fold_slot){ .key = key, .place = place, .events = 1, .first = t, .last = t };
	l->num_fold++;
	ident_at(l, ident)->batch = l->batch;
}

/* write_subscribers' statements for the current key id and, during a key rotation, with the
 * join of a subscriber known under the previous key to its key under the current one. */
static int subscriber_sql_init(struct loader *l)
{
	unsigned id = itin_subscriber_keyer_id(l->keyer);
	bool rotating = l->previous_keyer != NULL;
	const char *sql[] = {
		/* One loader at a time: two could give one new subscriber two ids. */
		"SELECT pg_advisory_xact_lock(7401002)",
		"SET LOCAL work_mem = '64MB'",	/* the batch's joins and sorts in memory */
		/* Its row count, for the join's plan: without it, the planner guessed a few
		 * thousand rows and hashed all of subscriber_key for each batch (443 ms against
		 * 303 for a batch of 96,000 identities and 1 M keys). */
		"ANALYZE load_ident",
		/* Existing subscribers by their MSISDN key; during a rotation one with no key under
		 * the current secret yet is found by its key under the previous one and keeps its
		 * id (rekeyed): its presence stays one subscriber's. New ones get an id. */
		rotating
		? "CREATE TEMP TABLE load_subscriber ON COMMIT DROP AS "
		  "SELECT i.n, i.msisdn_key, i.imsi_key, i.imsi_at, i.mask, "
		  "k.subscriber IS NULL AS new_key, "
		  "k.subscriber IS NULL AND p.subscriber IS NOT NULL AS rekeyed, "
		  "coalesce(k.subscriber, p.subscriber, nextval('subscriber_id_seq')) AS subscriber "
		  "FROM load_ident i LEFT JOIN subscriber_key k ON k.key = i.msisdn_key "
		  "LEFT JOIN subscriber_key p ON p.key = i.previous_msisdn_key"
		: "CREATE TEMP TABLE load_subscriber ON COMMIT DROP AS "
		  "SELECT i.n, i.msisdn_key, i.imsi_key, i.imsi_at, i.mask, "
		  "k.subscriber IS NULL AS new_key, false AS rekeyed, "
		  "coalesce(k.subscriber, nextval('subscriber_id_seq')) AS subscriber "
		  "FROM load_ident i LEFT JOIN subscriber_key k ON k.key = i.msisdn_key",
		talloc_asprintf(l, "INSERT INTO subscriber (id, key_id, mask_sealed) "
				"SELECT subscriber, %u, mask FROM load_subscriber "
				"WHERE new_key AND NOT rekeyed", id),
		/* A rekeyed subscriber's mask, sealed again under the current key. */
		rotating
		? talloc_asprintf(l, "UPDATE subscriber s SET key_id = %u, mask_sealed = l.mask "
				  "FROM load_subscriber l WHERE l.rekeyed AND s.id = l.subscriber", id)
		: "",
		/* In key order (DISTINCT ON sorts the IMSI keys too): each index page visited once. */
		talloc_asprintf(l, "INSERT INTO subscriber_key (key, key_id, subscriber) "
				"SELECT msisdn_key, %u, subscriber FROM load_subscriber WHERE new_key "
				"ORDER BY msisdn_key", id),
		/* An IMSI key goes to the MSISDN seen with it last (migration 058), in this batch
		 * and against the key's holder. A partition's IMSI keys: write_imsi_keys. */
		l->parts ? "" : talloc_asprintf(l, "INSERT INTO subscriber_key (key, key_id, subscriber, imsi_seen) "
				"SELECT DISTINCT ON (imsi_key) imsi_key, %u, subscriber, imsi_at "
				"FROM load_subscriber ORDER BY imsi_key, imsi_at DESC "
				"ON CONFLICT (key) DO UPDATE SET subscriber = EXCLUDED.subscriber, "
				"imsi_seen = EXCLUDED.imsi_seen "
				"WHERE subscriber_key.subscriber <> EXCLUDED.subscriber "
				"AND (subscriber_key.imsi_seen IS NULL OR "
				"subscriber_key.imsi_seen <= EXCLUDED.imsi_seen)", id),
	};

	/* The same rule on a partition, where the holder is named by its MSISDN key; there the
	 * key's time also follows its holder's use, within a day (one write a day at most),
	 * since retention expires it by that time (migration 196). */
	l->imsi_sql = talloc_asprintf(l, "INSERT INTO subscriber_key (key, key_id, holder_key, "
				      "imsi_seen) SELECT DISTINCT ON (imsi_key) imsi_key, %u, "
				      "holder_key, imsi_at FROM load_imsi ORDER BY imsi_key, imsi_at DESC "
				      "ON CONFLICT (key) DO UPDATE SET holder_key = EXCLUDED.holder_key, "
				      "subscriber = NULL, imsi_seen = EXCLUDED.imsi_seen "
				      "WHERE (subscriber_key.holder_key IS DISTINCT FROM EXCLUDED.holder_key "
				      "AND (subscriber_key.imsi_seen IS NULL OR "
				      "subscriber_key.imsi_seen <= EXCLUDED.imsi_seen)) OR "
				      "(subscriber_key.holder_key = EXCLUDED.holder_key AND "
				      "subscriber_key.imsi_seen < EXCLUDED.imsi_seen - interval '1 day')", id);
	if (!l->imsi_sql)
		return -ENOMEM;
	l->num_subscriber_sql = 0;
	for (unsigned i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (!sql[i])
			return -ENOMEM;
		if (*sql[i])		/* "": not needed without a previous key */
			l->subscriber_sql[l->num_subscriber_sql++] = sql[i];
	}
	return 0;
}

/* The batch's identities (those of partition part's MSISDN keys, or all with -1) into
 * load_ident, then subscriber ids and keys (subscriber_sql). */
static int write_subscribers(struct loader *l, PGconn *conn, int part)
{
	const struct batch_job *job = &l->job;
	struct itin_copy_buf b;

	if (!itin_db_exec(conn, "CREATE TEMP TABLE load_ident (n integer, msisdn_key bytea, "
			  "imsi_key bytea, imsi_at timestamptz, mask bytea, previous_msisdn_key bytea) "
			  "ON COMMIT DROP", "load") ||
	    itin_copy_begin(&b, conn, "COPY load_ident FROM STDIN (FORMAT binary)") < 0)
		return -EIO;
	for (size_t i = 0; i < job->num_idents; i++) {
		const struct ident_row *id = PAGED_AT(&job->idents, struct ident_row, i);

		if (part >= 0 && id->msisdn_part != part)
			continue;
		itin_copy_tuple(&b, 6);
		itin_copy_int4(&b, id->n);
		itin_copy_bytes(&b, id->msisdn_key, sizeof(id->msisdn_key));
		itin_copy_bytes(&b, id->imsi_key, sizeof(id->imsi_key));
		itin_copy_timestamptz(&b, id->imsi_at);
		itin_copy_bytes(&b, id->mask_sealed, id->mask_sealed_len);
		if (l->previous_keyer)
			itin_copy_bytes(&b, id->previous_msisdn_key, sizeof(id->previous_msisdn_key));
		else
			itin_copy_null(&b);
	}
	if (itin_copy_end(&b) < 0)
		return -EIO;
	for (unsigned i = 0; i < l->num_subscriber_sql; i++) {
		if (!itin_db_exec(conn, l->subscriber_sql[i], "load"))
			return -EIO;
	}
	return 0;
}

/* The batch's IMSI keys of partition part, each naming its holder by MSISDN key (imsi_sql). */
static int write_imsi_keys(struct loader *l, PGconn *conn, int part)
{
	const struct batch_job *job = &l->job;
	struct itin_copy_buf b;

	if (!itin_db_exec(conn, "CREATE TEMP TABLE load_imsi (imsi_key bytea, holder_key bytea, "
			  "imsi_at timestamptz) ON COMMIT DROP", "load") ||
	    itin_copy_begin(&b, conn, "COPY load_imsi FROM STDIN (FORMAT binary)") < 0)
		return -EIO;
	for (size_t i = 0; i < job->num_idents; i++) {
		const struct ident_row *id = PAGED_AT(&job->idents, struct ident_row, i);

		if (id->imsi_part != part)
			continue;
		itin_copy_tuple(&b, 3);
		itin_copy_bytes(&b, id->imsi_key, sizeof(id->imsi_key));
		itin_copy_bytes(&b, id->msisdn_key, sizeof(id->msisdn_key));
		itin_copy_timestamptz(&b, id->imsi_at);
	}
	if (itin_copy_end(&b) < 0 || !itin_db_exec(conn, l->imsi_sql, "load"))
		return -EIO;
	return 0;
}

/* The subscriber id of each identity of the batch (read back). */
static int read_subscribers(struct loader *l, PGconn *conn)
{
	PGresult *res = itin_db_rows(conn, "SELECT n, subscriber FROM load_subscriber", 0, NULL,
				     "load: reading subscriber ids");
	int n;

	if (!res)
		return -EIO;
	n = PQntuples(res);
	for (int r = 0; r < n; r++) {
		*PAGED_AT(&l->subscriber_of, int64_t, strtoul(PQgetvalue(res, r, 0), NULL, 10)) =
			strtoll(PQgetvalue(res, r, 1), NULL, 10);
	}
	PQclear(res);
	return 0;
}

static int64_t slot_subscriber(const struct loader *l, const struct fold_slot *s)
{
	return *PAGED_AT(&l->subscriber_of, int64_t, (s->key - 1) >> 32);
}

/* Folded rows by subscriber id, then day (the order of presence_recent's index). The keys sit
 * in the array sorted: comparing through the slots and the identities (random reads) took a
 * fifth of the loader's time. */
static int cmp_rows(const void *a, const void *b)
{
	const struct row_order *x = a, *y = b;

	if (x->subscriber != y->subscriber)
		return x->subscriber < y->subscriber ? -1 : 1;
	return (x->day > y->day) - (x->day < y->day);
}

static int slot_part(const struct loader *l, const struct fold_slot *s)
{
	return *PAGED_AT(&l->part_of, uint8_t, (s->key - 1) >> 32);
}

/* The batch's folded rows (of w's partition) into presence_recent, in index order: its index
 * then grows at a few places instead of at a random page per row. Returns the rows written or
 * -EIO. */
static int64_t copy_presence(struct loader *l, struct part_writer *w)
{
	const struct fold_slot *fold = l->job.fold;
	struct row_order *order = l->order + w->order_first;
	struct itin_copy_buf b;
	size_t n = 0;

	for (uint32_t i = 0; i <= l->fold_mask; i++) {
		if (fold[i].key && (w->part < 0 || slot_part(l, &fold[i]) == w->part))
			order[n++] = (struct row_order){
				.subscriber = slot_subscriber(l, &fold[i]),
				.day = (int32_t)(uint32_t)(fold[i].key - 1),
				.slot = i,
			};
	}
	qsort(order, n, sizeof(*order), cmp_rows);
	if (itin_copy_begin(&b, w->conn, "COPY presence_recent (subscriber, day, place, first_seen, "
			    "last_seen, events) FROM STDIN (FORMAT binary)") < 0)
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		const struct row_order *o = &order[i];
		const struct fold_slot *s = &fold[o->slot];

		itin_copy_tuple(&b, 6);
		itin_copy_int8(&b, o->subscriber);
		itin_copy_date(&b, o->day);
		itin_copy_int4(&b, s->place);
		itin_copy_timestamptz(&b, s->first);
		itin_copy_timestamptz(&b, s->last);
		itin_copy_int4(&b, s->events);
	}
	return itin_copy_end(&b);
}

/* A batch's part on one database (all of it on a single node), in a transaction left open:
 * the subscribers, the IMSI keys, the presence. */
static void *write_part(void *arg)
{
	struct part_writer *w = arg;
	struct loader *l = w->l;

	w->rows = -1;
	if (!itin_db_exec(w->conn, "BEGIN", "load") || write_subscribers(l, w->conn, w->part) < 0 ||
	    (w->part >= 0 && write_imsi_keys(l, w->conn, w->part) < 0) ||
	    read_subscribers(l, w->conn) < 0)
		return NULL;
	w->rows = copy_presence(l, w);
	return NULL;
}

/* The writer thread: one batch, in one transaction per database, all committed or none.
 * Leaves its fold table cleared for reuse. */
static void *write_batch(void *arg)
{
	struct loader *l = arg;
	struct batch_job *job = &l->job;
	unsigned num = l->parts ? l->parts->num : 1, started = 0;
	size_t count[ITIN_MAX_PARTITIONS] = { 0 };
	int64_t rows = 0;
	char sql[256];
	bool ok = true;

	job->rows = -1;
	/* Each partition's rows get their own stretch of the order array. */
	for (uint32_t i = 0; l->parts && i <= l->fold_mask; i++) {
		if (job->fold[i].key)
			count[slot_part(l, &job->fold[i])]++;
	}
	for (unsigned p = 0; p < num; p++) {
		l->part_writer[p].order_first = p ? l->part_writer[p - 1].order_first + count[p - 1] : 0;
		if (num > 1 && pthread_create(&l->part_writer[p].thread, NULL, write_part,
					      &l->part_writer[p]) != 0) {
			LOGP(DLOAD, LOGL_ERROR, "load: cannot start a partition's writer thread\n");
			ok = false;
			break;
		}
		started++;
	}
	if (num == 1)
		write_part(&l->part_writer[0]);
	for (unsigned p = 0; p < started; p++) {
		if (num > 1)
			pthread_join(l->part_writer[p].thread, NULL);
		ok = ok && l->part_writer[p].rows >= 0;
		rows += l->part_writer[p].rows;
	}
	/* The single node's feed time in the batch's transaction; a proxy's once the partitions
	 * have the batch. */
	snprintf(sql, sizeof(sql), "INSERT INTO feed_state (feed, newest_event) "
		 "VALUES ('events', to_timestamp(%lld)) ON CONFLICT (feed) DO UPDATE SET "
		 "newest_event = greatest(feed_state.newest_event, EXCLUDED.newest_event), "
		 "loaded_at = now()", (long long)job->newest);
	ok = ok && (l->parts || itin_db_exec(l->conn, sql, "load"));
	for (unsigned p = 0; p < num; p++) {
		if (!ok || !itin_db_exec(l->part_writer[p].conn, "COMMIT", "load")) {
			itin_db_exec(l->part_writer[p].conn, "ROLLBACK", "load");
			ok = false;
		}
	}
	if (!ok || (l->parts && !itin_db_exec(l->conn, sql, "load")))
		return NULL;
	memset(job->fold, 0, (l->fold_mask + 1) * sizeof(*job->fold));
	job->rows = rows;
	return NULL;
}

/* Waits for the writer, if it has a batch; returns 0 when that batch was written, else -EIO. */
static int finish_writing(struct loader *l)
{
	if (!l->writing)
		return 0;
	pthread_join(l->writer, NULL);
	l->writing = false;
	if (l->job.rows < 0) {
		l->error = "database error";
		return -EIO;
	}
	l->st->rows += l->job.rows;
	return 0;
}

/* The partitions of the keys of the identities collected, as the proxy routes them
 * (itin_key_partitions, sql/proxy.sql), over the second connection: the writer may be using
 * the first. */
static int route_idents(struct loader *l)
{
	size_t num = l->num_collected;
	char *keys = talloc_size(l, 2 * num * (2 * ITIN_SUBSCRIBER_KEY_LEN + 1) + 3);
	const char *values[1] = { keys };
	char *p = keys, *end;
	PGresult *res;
	int rc = -EIO;

	if (!keys)
		return -ENOMEM;
	*p++ = '{';
	for (size_t i = 0; i < 2 * num; i++) {
		const struct ident_row *id = PAGED_AT(&l->collected, struct ident_row, i / 2);

		if (i)
			*p++ = ',';
		osmo_hexdump_buf(p, 2 * ITIN_SUBSCRIBER_KEY_LEN + 1, i % 2 ? id->imsi_key : id->msisdn_key,
				 ITIN_SUBSCRIBER_KEY_LEN, "", false);
		p += 2 * ITIN_SUBSCRIBER_KEY_LEN;
	}
	strcpy(p, "}");
	res = PQexecParams(l->router, "SELECT itin_key_partitions($1::text[])", 1, NULL, values,
			   NULL, NULL, 0);
	talloc_free(keys);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		LOGP(DLOAD, LOGL_ERROR, "load: routing keys to partitions: %s",
		     PQerrorMessage(l->router));
		goto out;
	}
	p = PQgetvalue(res, 0, 0);
	for (size_t i = 0; i < 2 * num; i++) {
		struct ident_row *id = PAGED_AT(&l->collected, struct ident_row, i / 2);
		unsigned long part = strtoul(p + 1, &end, 10);

		if (end == p + 1 || part >= l->parts->num) {
			LOGP(DLOAD, LOGL_ERROR, "load: routing keys to partitions: not a partition "
			     "in %.20s\n", p);
			goto out;
		}
		p = end;
		if (i % 2)
			id->imsi_part = part;
		else
			id->msisdn_part = part;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

/* The batch's identities that no earlier batch sent, copied for the writer and routed to
 * their partitions: done while the writer may still write the batch before, so it touches
 * nothing the writer reads (the batch job, the subscriber ids and partitions by identity). */
static int collect_idents(struct loader *l)
{
	l->num_collected = 0;
	for (size_t i = 0; i < l->num_idents; i++) {
		struct ident *id = ident_at(l, i);
		struct ident_row *row;

		if (id->batch != l->batch || id->written)
			continue;
		if (paged_reserve(l, &l->collected, sizeof(struct ident_row), l->num_collected + 1,
				  false) < 0)
			return -ENOMEM;
		id->written = true;
		row = PAGED_AT(&l->collected, struct ident_row, l->num_collected);
		l->num_collected++;
		row->n = i;
		memcpy(row->msisdn_key, id->msisdn_key, sizeof(row->msisdn_key));
		memcpy(row->imsi_key, id->imsi_key, sizeof(row->imsi_key));
		row->imsi_at = id->imsi_at;
		memcpy(row->previous_msisdn_key, id->previous_msisdn_key,
		       sizeof(row->previous_msisdn_key));
		/* Sealed here, for the identities a batch sends only: the mask is never stored
		 * in clear (migration 070). */
		row->mask_sealed_len = itin_seal(l->sealer, ITIN_SEAL_MASK, id->mask, row->mask_sealed);
		if (row->mask_sealed_len < 0)
			return -ENOMEM;
	}
	return l->parts && l->num_collected ? route_idents(l) : 0;
}

/* The identities collected become the batch job's, once the writer is done with the one
 * before; room for the subscriber id of every identity so far, and its partition's. */
static int take_collected(struct loader *l)
{
	struct batch_job *job = &l->job;
	struct paged spare = job->idents;

	if (paged_reserve(l, &l->subscriber_of, sizeof(int64_t), l->num_idents, false) < 0 ||
	    paged_reserve(l, &l->part_of, sizeof(uint8_t), l->num_idents, false) < 0)
		return -ENOMEM;
	job->idents = l->collected;
	job->num_idents = l->num_collected;
	l->collected = spare;
	for (size_t i = 0; l->parts && i < job->num_idents; i++) {
		const struct ident_row *id = PAGED_AT(&job->idents, struct ident_row, i);

		*PAGED_AT(&l->part_of, uint8_t, id->n) = id->msisdn_part;
	}
	return 0;
}

/* Hands the batch read so far to the writer, once the one before is written, and goes on
 * reading into the other fold table. Its identities are collected and routed before that
 * wait, while the writer still writes. */
static int hand_over(struct loader *l)
{
	struct fold_slot *full = l->fold;
	int rc;

	if (l->num_fold == 0)
		return finish_writing(l);
	if ((rc = collect_idents(l)) < 0) {
		l->error = rc == -ENOMEM ? "out of memory" : "database error";
		return rc;
	}
	if ((rc = finish_writing(l)) < 0)
		return rc;
	if ((rc = take_collected(l)) < 0) {
		l->error = "out of memory";
		return rc;
	}
	l->job.fold = full;
	l->job.newest = l->newest;
	l->fold = l->spare_fold;
	l->spare_fold = full;
	l->num_fold = 0;
	l->batch++;
	if (pthread_create(&l->writer, NULL, write_batch, l) != 0) {
		l->error = "cannot start the writer thread";
		return -EAGAIN;
	}
	l->writing = true;
	return 0;
}

static const char *event_line(void *arg, const char *line, size_t len)
{
	struct loader *l = arg;
	struct itin_feed_event ev;
	const char *err;
	uint32_t ident;
	int32_t place;

	if ((err = itin_feed_parse_event(line, len, &l->bounds, &ev)))
		return err;
	if (itin_config_mcc_is_domestic(l->service, ev.mcc)) {
		if (!cell_get(l, cell_key(ev.mcc, ev.mnc, ev.lac, ev.ci), &place)) {
			l->st->unknown++;
			return NULL;
		}
	} else {
		place = itin_place_from_mcc(ev.mcc);
		if (!itin_place_is_known(place)) {
			l->st->unknown++;
			return NULL;
		}
	}
	if ((err = ident_of(l, &ev, &ident)))
		return l->error ? ITIN_LINE_ABORT : err;
	fold(l, ident, itin_local_day(ev.time), place, ev.time);
	if (ev.time > l->newest)
		l->newest = ev.time;
	l->st->loaded++;
	if (l->num_fold >= l->batch_rows && hand_over(l) < 0)
		return ITIN_LINE_ABORT;
	return NULL;
}

/* A load that stops still waits for the batch being written: the thread uses the loader. */
static int loader_destructor(struct loader *l)
{
	if (l->writing)
		pthread_join(l->writer, NULL);
	if (l->router)
		PQfinish(l->router);
	return 0;
}

int itin_db_load_events(PGconn *conn, const struct itin_service_config *service,
			const struct itin_feed_config *feed, const struct itin_keys *keys, FILE *f,
			const char *name, int64_t now, unsigned batch_rows,
			struct itin_load_stats *st)
{
	struct loader *l = talloc_zero(NULL, struct loader);
	size_t fold_size = 2;
	int rc = -ENOMEM;

	if (!l) {
		LOGP(DLOAD, LOGL_ERROR, "%s: out of memory\n", name);
		return -ENOMEM;
	}
	*l = (struct loader){ .conn = conn, .service = service, .st = st, .batch = 1,
			      .batch_rows = batch_rows };
	talloc_set_destructor(l, loader_destructor);
	while (fold_size < 2 * (size_t)batch_rows)
		fold_size *= 2;
	l->keyer = itin_subscriber_keyer_alloc(l, &keys->key[0]);
	l->previous_keyer = keys->num > 1 ? itin_subscriber_keyer_alloc(l, &keys->key[1]) : NULL;
	l->sealer = itin_sealer_alloc(l, keys);
	l->fold = talloc_zero_array(l, struct fold_slot, fold_size);
	l->spare_fold = talloc_zero_array(l, struct fold_slot, fold_size);
	l->fold_mask = fold_size - 1;
	l->order = talloc_array(l, struct row_order, batch_rows);
	if ((rc = itin_db_partitions_open(l, conn, &l->parts)) < 0)
		goto out;
	if (l->parts) {
		char err[256];

		l->router = itin_db_connect_again(conn, err, sizeof(err));
		if (!l->router) {
			LOGP(DLOAD, LOGL_ERROR, "%s: a second connection to the proxy: %s\n", name,
			     err);
			rc = -EIO;
			goto out;
		}
	}
	rc = -ENOMEM;
	if (l->parts && keys->num > 1) {
		LOGP(DLOAD, LOGL_ERROR, "%s: a partitioned layout does not rotate keys: one key in "
		     "hmac_secret_file\n", name);
		rc = -EINVAL;
		goto out;
	}
	l->part_writer = talloc_zero_array(l, struct part_writer, l->parts ? l->parts->num : 1);
	for (unsigned p = 0; l->part_writer && p < (l->parts ? l->parts->num : 1); p++) {
		l->part_writer[p] = (struct part_writer){ .l = l, .part = l->parts ? (int)p : -1,
			.conn = l->parts ? l->parts->conn[p] : conn };
	}
	if (!l->part_writer || !l->keyer || (keys->num > 1 && !l->previous_keyer) || !l->sealer || !l->fold ||
	    !l->spare_fold || !l->order || !grow_ident_map(l) || subscriber_sql_init(l) < 0) {
		LOGP(DLOAD, LOGL_ERROR, "%s: out of memory\n", name);
		goto out;
	}
	if ((rc = itin_localtime_init(service->time_zone)) < 0) {
		LOGP(DLOAD, LOGL_ERROR, "%s: unknown time zone %s\n", name, service->time_zone);
		rc = -EINVAL;
		goto out;
	}
	/* The days retention keeps (window + 1, today included), and no more than the skew
	 * ahead of this load's clock, read once so that every line is judged alike. */
	l->bounds.oldest = itin_local_day_start(itin_local_day(now) - (int32_t)service->window_days);
	l->bounds.newest = now + feed->max_future_skew_s;
	/* Shared with other loads, never with retention (db_retention.c): the subscriber ids
	 * read by one batch are used by the next without reading them again. Released with the
	 * connection if the load stops. */
	for (unsigned p = 0; p < (l->parts ? l->parts->num : 1); p++) {
		if (!itin_db_exec(l->part_writer[p].conn,
				  "SELECT pg_advisory_lock_shared(" ITIN_DB_LOAD_LOCK ")", "load")) {
			rc = -EIO;
			goto out;
		}
	}
	if ((rc = load_cells(l)) < 0)
		goto out;
	if ((rc = itin_read_lines(f, name, "time", event_line, l, st)) < 0 ||
	    (rc = hand_over(l)) < 0 || (rc = finish_writing(l)) < 0) {
		if (l->error)
			LOGP(DLOAD, LOGL_ERROR, "%s: load stopped: %s\n", name, l->error);
		goto out;
	}
	rc = 0;
	for (unsigned p = 0; p < (l->parts ? l->parts->num : 1); p++) {
		if (!itin_db_exec(l->part_writer[p].conn,
				  "SELECT pg_advisory_unlock_shared(" ITIN_DB_LOAD_LOCK ")", "load"))
			rc = -EIO;
	}
out:
	talloc_free(l);
	return rc;
}
