/*
 * The config file parser. The format suits operators used to pgbouncer and Kannel: sections in
 * brackets, "key = value" lines, '#' or ';' comment lines; a value may be double-quoted to keep
 * spaces and to write \n, \" and \\. Repeated sections carry a name: [smpp NAME] for each SMSC
 * link, [templates zh] and [templates en] for the reply texts. The options themselves are
 * declared in config_options.def; this file only turns text into struct itin_config and
 * refuses a bad file with "FILE:LINE: reason". It never opens a socket or a database.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "common/config.h"

enum cfg_type {
	CFG_STRING,
	CFG_STRING_8,		/* the SMPP bind's C-Octet Strings: 9, 13, 16 octets with the NUL */
	CFG_STRING_12,
	CFG_STRING_15,
	CFG_UINT,
	CFG_BOOL,
	CFG_DURATION,
	CFG_DURATION_MS,
	CFG_PORT,
	CFG_LANG,
	CFG_MCC_LIST,
	CFG_RATE,
	CFG_CAP,
	CFG_CC_LIST,
	CFG_BIND_MODE,
	CFG_WORDS,
};

struct cfg_option {
	const char *section;
	const char *key;
	enum cfg_type type;
	size_t offset;
	const char *default_value;
	const char *doc;
};

static const struct cfg_option global_options[] = {
#define ITIN_OPTION(section, key, type, field, def, doc) \
	{ #section, key, CFG_##type, offsetof(struct itin_config, section.field), def, doc },
#include "common/config_options.def"
};

static const struct cfg_option link_options[] = {
#define ITIN_LINK_OPTION(key, type, field, def, doc) \
	{ "smpp NAME", key, CFG_##type, offsetof(struct itin_smpp_link_config, field), def, doc },
#include "common/config_options.def"
};

static const struct cfg_option template_options[] = {
#define ITIN_TEMPLATE_OPTION(key, field, doc) \
	{ "templates zh|en", key, CFG_STRING, offsetof(struct itin_templates, field), NULL, doc },
#include "common/config_options.def"
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Where the parser is: which struct the options of the current section go to. */
struct cfg_parser {
	struct itin_config *cfg;
	const char *path;
	unsigned line;
	const struct cfg_option *options;
	size_t num_options;
	void *target;
	const char *section;	/* of global options: "service", "database", ... */
	/* The line each option of the current target was set on, 0 if not yet: a repeated key
	 * is refused instead of silently taking the last value. */
	unsigned *set_on;
	unsigned global_set_on[ARRAY_LEN(global_options)];
	unsigned link_set_on[ITIN_MAX_SMPP_LINKS][ARRAY_LEN(link_options)];
	unsigned template_set_on[ITIN_LANG_EN + 1][ARRAY_LEN(template_options)];
	char *err;
	size_t err_len;
};

static int cfg_error(struct cfg_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cfg_error(struct cfg_parser *p, const char *fmt, ...)
{
	int n = p->line ? snprintf(p->err, p->err_len, "%s:%u: ", p->path, p->line)
			: snprintf(p->err, p->err_len, "%s: ", p->path);
	va_list ap;

	if (n < 0 || (size_t)n >= p->err_len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->err_len - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "90", "90s", "10m", "4h", "1d"; with ms_ok also "250ms". Result in seconds or ms. */
static int parse_duration(const char *s, bool in_ms, unsigned *out)
{
	char *end;
	unsigned long v, scale_s;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (in_ms && strcmp(end, "ms") == 0) {
		if (v > UINT_MAX)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (!*end || strcmp(end, "s") == 0)
		scale_s = 1;
	else if (strcmp(end, "m") == 0)
		scale_s = 60;
	else if (strcmp(end, "h") == 0)
		scale_s = 3600;
	else if (strcmp(end, "d") == 0)
		scale_s = 86400;
	else
		return -EINVAL;
	if (in_ms)
		scale_s *= 1000;
	if (v > UINT_MAX / scale_s)
		return -EINVAL;
	*out = v * scale_s;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Split a comma-separated list in place; empty items are refused. */
static int split_list(char *s, char **items, unsigned max, unsigned *num)
{
	*num = 0;
	if (!*s)
		return 0;
	for (char *item = strtok(s, ","); item; item = strtok(NULL, ",")) {
		while (isspace((unsigned char)*item))
			item++;
		for (char *e = item + strlen(item); e > item && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		if (!*item || *num == max)
			return -EINVAL;
		items[(*num)++] = item;
	}
	return 0;
}

static size_t string_max(enum cfg_type type)
{
	return type == CFG_STRING_8 ? 8 : type == CFG_STRING_12 ? 12 : 15;
}

static int set_value(struct cfg_parser *p, const struct cfg_option *opt, void *base,
		     const char *value)
{
	void *field = (char *)base + opt->offset;
	char *copy = talloc_strdup(p->cfg, value);
	char *items[ITIN_MAX_KEYWORDS];
	unsigned long ul;
	unsigned n;

	switch (opt->type) {
	case CFG_STRING_8:
	case CFG_STRING_12:
	case CFG_STRING_15:
		/* libsmpp34 would cut a longer one, and the SMSC refuse the bind for ever */
		if (strlen(value) > string_max(opt->type))
			return cfg_error(p, "%s: longer than %zu characters (SMPP 3.4)", opt->key,
					 string_max(opt->type));
		/* fall through */
	case CFG_STRING:
		talloc_free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case CFG_UINT:
		if (parse_uint(value, UINT_MAX, &ul))
			return cfg_error(p, "%s: '%s' is not a non-negative integer", opt->key, value);
		*(unsigned *)field = ul;
		break;
	case CFG_PORT:
		if (parse_uint(value, 65535, &ul) || ul == 0)
			return cfg_error(p, "%s: '%s' is not a port (1-65535)", opt->key, value);
		*(uint16_t *)field = ul;
		break;
	case CFG_BOOL:
		if (parse_bool(value, (bool *)field))
			return cfg_error(p, "%s: '%s' is not yes/no, on/off, true/false", opt->key,
					 value);
		break;
	case CFG_DURATION:
	case CFG_DURATION_MS:
		if (parse_duration(value, opt->type == CFG_DURATION_MS, (unsigned *)field))
			return cfg_error(p, "%s: '%s' is not a duration (e.g. 30s, 10m, 4h, 1d)",
					 opt->key, value);
		break;
	case CFG_LANG:
		if (strcmp(value, "zh") == 0)
			*(enum itin_lang *)field = ITIN_LANG_ZH;
		else if (strcmp(value, "en") == 0)
			*(enum itin_lang *)field = ITIN_LANG_EN;
		else
			return cfg_error(p, "%s: '%s' is not a language (zh, en)", opt->key, value);
		break;
	case CFG_BIND_MODE:
		if (strcmp(value, "transceiver") == 0)
			*(enum itin_smpp_bind_mode *)field = ITIN_SMPP_BIND_TRANSCEIVER;
		else if (strcmp(value, "split") == 0)
			*(enum itin_smpp_bind_mode *)field = ITIN_SMPP_BIND_SPLIT;
		else
			return cfg_error(p, "%s: '%s' is not a bind mode (transceiver, split)",
					 opt->key, value);
		break;
	case CFG_MCC_LIST: {
		struct itin_mcc_list *list = field;

		if (split_list(copy, items, ITIN_MAX_DOMESTIC_MCC, &n) || n == 0)
			return cfg_error(p, "%s: '%s' is not a list of 1 to %d MCCs", opt->key, value,
					 ITIN_MAX_DOMESTIC_MCC);
		for (unsigned i = 0; i < n; i++) {
			if (strlen(items[i]) != 3 || parse_uint(items[i], 999, &ul))
				return cfg_error(p, "%s: '%s' is not a 3-digit MCC", opt->key, items[i]);
			list->mcc[i] = ul;
		}
		list->num = n;
		break;
	}
	case CFG_CAP:
	case CFG_RATE: {
		struct itin_rate *rate = field;
		char *slash = strchr(copy, '/');

		if (opt->type == CFG_CAP && strcmp(value, "off") == 0) {
			*rate = (struct itin_rate){ 0, 0 };
			break;
		}
		if (!slash)
			return cfg_error(p, "%s: '%s' is not COUNT/DURATION (e.g. 5/1h)%s", opt->key,
					 value, opt->type == CFG_CAP ? " or off" : "");
		*slash = '\0';
		if (parse_uint(copy, UINT_MAX, &ul) || ul == 0
		    || parse_duration(slash + 1, false, &rate->period_s) || rate->period_s == 0)
			return cfg_error(p, "%s: '%s' is not COUNT/DURATION (e.g. 5/1h)", opt->key,
					 value);
		rate->count = ul;
		break;
	}
	case CFG_CC_LIST: {
		struct itin_cc_list *list = field;

		if (split_list(copy, items, ITIN_MAX_COUNTRY_CODES, &n))
			return cfg_error(p, "%s: '%s' is not a list of at most %d country codes",
					 opt->key, value, ITIN_MAX_COUNTRY_CODES);
		for (unsigned i = 0; i < n; i++) {
			if (strlen(items[i]) > 3 || items[i][0] == '0' || parse_uint(items[i], 999, &ul))
				return cfg_error(p, "%s: '%s' is not a country code (1 to 3 digits, "
						 "not starting with 0)", opt->key, items[i]);
			snprintf(list->cc[i], sizeof(list->cc[i]), "%s", items[i]);
		}
		list->num = n;
		break;
	}
	case CFG_WORDS: {
		struct itin_words *words = field;

		if (split_list(copy, items, ITIN_MAX_KEYWORDS, &n))
			return cfg_error(p, "%s: '%s' is not a list of at most %d keywords", opt->key,
					 value, ITIN_MAX_KEYWORDS);
		for (unsigned i = 0; i < n; i++)
			words->word[i] = talloc_strdup(p->cfg, items[i]);
		words->num = n;
		break;
	}
	}
	talloc_free(copy);
	return 0;
}

static void set_defaults(struct cfg_parser *p, const struct cfg_option *options, size_t num,
			 void *base)
{
	for (size_t i = 0; i < num; i++) {
		if (options[i].default_value)
			set_value(p, &options[i], base, options[i].default_value);
	}
}

static int enter_section(struct cfg_parser *p, char *name)
{
	struct itin_config *cfg = p->cfg;
	char *arg = strchr(name, ' ');

	if (arg) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
	}
	if (strcmp(name, "smpp") == 0) {
		struct itin_smpp_link_config *link;

		if (!arg || !*arg)
			return cfg_error(p, "[smpp] needs a link name: [smpp NAME]");
		/* the name goes into log lines, /readyz and the link label of /metrics */
		if (strlen(arg) > ITIN_LINK_NAME_MAX ||
		    strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
		    != strlen(arg))
			return cfg_error(p, "[smpp] link name '%.*s%s' is not 1 to %d letters, digits, "
					 "'.', '_' or '-'", 40, arg, strlen(arg) > 40 ? "..." : "",
					 ITIN_LINK_NAME_MAX);
		for (unsigned i = 0; i < cfg->smpp.num; i++) {
			if (strcmp(cfg->smpp.link[i].name, arg) == 0)
				return cfg_error(p, "[smpp %s] appears twice", arg);
		}
		if (cfg->smpp.num == ITIN_MAX_SMPP_LINKS)
			return cfg_error(p, "more than %d [smpp] links", ITIN_MAX_SMPP_LINKS);
		link = &cfg->smpp.link[cfg->smpp.num++];
		set_defaults(p, link_options, ARRAY_LEN(link_options), link);
		link->name = talloc_strdup(cfg, arg);
		p->options = link_options;
		p->num_options = ARRAY_LEN(link_options);
		p->target = link;
		p->set_on = p->link_set_on[cfg->smpp.num - 1];
		return 0;
	}
	if (strcmp(name, "templates") == 0) {
		if (!arg || (strcmp(arg, "zh") && strcmp(arg, "en")))
			return cfg_error(p, "templates need a language: [templates zh] or [templates en]");
		p->options = template_options;
		p->num_options = ARRAY_LEN(template_options);
		p->target = &cfg->templates[strcmp(arg, "zh") == 0 ? ITIN_LANG_ZH : ITIN_LANG_EN];
		p->set_on = p->template_set_on[strcmp(arg, "zh") == 0 ? ITIN_LANG_ZH : ITIN_LANG_EN];
		return 0;
	}
	if (arg)
		return cfg_error(p, "[%s] takes no name", name);
	for (size_t i = 0; i < ARRAY_LEN(global_options); i++) {
		if (strcmp(global_options[i].section, name) == 0) {
			p->options = global_options;
			p->num_options = ARRAY_LEN(global_options);
			p->target = cfg;
			p->section = global_options[i].section;
			p->set_on = p->global_set_on;
			return 0;
		}
	}
	return cfg_error(p, "unknown section [%s]", name);
}

/* Unquote a "..." value in place, with \n, \t, \" and \\ escapes. */
static int unquote(struct cfg_parser *p, char *value)
{
	char *in = value + 1, *out = value;

	for (; *in && *in != '"'; in++) {
		if (*in != '\\') {
			*out++ = *in;
			continue;
		}
		switch (*++in) {
		case 'n': *out++ = '\n'; break;
		case 't': *out++ = '\t'; break;
		case '"': *out++ = '"'; break;
		case '\\': *out++ = '\\'; break;
		default:
			return cfg_error(p, "unknown escape \\%c in a quoted value", *in ? *in : ' ');
		}
	}
	if (*in != '"' || in[1])
		return cfg_error(p, "unterminated quoted value or text after the closing quote");
	*out = '\0';
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int parse_line(struct cfg_parser *p, char *line)
{
	char *key, *value, *eq;
	const char *section_of_key = NULL;

	line = trim(line);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[') {
		char *close = strchr(line, ']');

		if (!close || close[1])
			return cfg_error(p, "a section line looks like [name]");
		*close = '\0';
		return enter_section(p, trim(line + 1));
	}
	eq = strchr(line, '=');
	if (!eq)
		return cfg_error(p, "expected 'key = value' or '[section]'");
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (*value == '"' && unquote(p, value))
		return -EINVAL;
	if (!p->options)
		return cfg_error(p, "option '%s' outside of any section", key);
	for (size_t i = 0; i < p->num_options; i++) {
		const struct cfg_option *opt = &p->options[i];

		if (strcmp(opt->key, key))
			continue;
		/* Global options share one table: the key must be of the current section. */
		if (p->options == global_options && strcmp(opt->section, p->section)) {
			section_of_key = opt->section;
			continue;
		}
		if (p->set_on[i])
			return cfg_error(p, "option '%s' is already set on line %u", key, p->set_on[i]);
		p->set_on[i] = p->line;
		return set_value(p, opt, p->target, value);
	}
	if (section_of_key)
		return cfg_error(p, "option '%s' belongs in [%s]", key, section_of_key);
	return cfg_error(p, "unknown option '%s'", key);
}

/* Words that mean "put your secret here": a secret containing one is the example's, or a copy
 * of it, whatever its length; the example config shipped one of them until issue 17. */
static const char *const placeholders[] = {
	"change-me", "changeme", "change_me", "replace-me", "placeholder", "your-secret",
};

static bool contains_nocase(const char *s, const char *word)
{
	size_t len = strlen(word);

	for (; *s; s++) {
		if (strncasecmp(s, word, len) == 0)
			return true;
	}
	return false;
}

/* 0 if secret is strong enough, else -EINVAL with the reason in why. The estimate is the
 * secret's length times the Shannon entropy of its own character frequencies: 64 random hex
 * digits score about 240 bits, "aaaa..." or a word repeated next to nothing. It cannot see
 * that a phrase is made of words, hence also the minimum length. */
static int secret_weakness(const char *secret, char *why, size_t why_len)
{
	unsigned counts[256] = { 0 };
	size_t len = strlen(secret);
	double bits = 0;

	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++) {
		if (contains_nocase(secret, placeholders[i])) {
			snprintf(why, why_len, "is a placeholder (it contains '%s'): generate a random "
				 "one, e.g. 64 hex digits from /dev/urandom", placeholders[i]);
			return -EINVAL;
		}
	}
	if (len < ITIN_SECRET_MIN_LEN) {
		snprintf(why, why_len, "has %zu characters; at least %d are required", len,
			 ITIN_SECRET_MIN_LEN);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++)
		counts[(unsigned char)secret[i]]++;
	for (unsigned c = 0; c < 256; c++) {
		if (counts[c])
			bits += counts[c] * log2((double)len / counts[c]);
	}
	if (bits < ITIN_SECRET_MIN_BITS) {
		snprintf(why, why_len, "is too predictable: about %u bits by its character "
			 "frequencies, at least %d are required", (unsigned)bits, ITIN_SECRET_MIN_BITS);
		return -EINVAL;
	}
	return 0;
}

/* Adds a key, keeping keys[] ordered by id, highest (current) first. */
static int add_key(struct cfg_parser *p, unsigned id, const char *secret)
{
	struct itin_keys *keys = &p->cfg->keys;
	unsigned i;

	for (i = 0; i < keys->num; i++) {
		if (keys->key[i].id == id)
			return cfg_error(p, "key %u appears twice", id);
	}
	if (keys->num == ITIN_MAX_KEYS)
		return cfg_error(p, "more than %d keys: the file holds the current and the previous "
				 "key only; retire the oldest (itinerad-db retire-key ID) and delete "
				 "its line", ITIN_MAX_KEYS);
	for (i = keys->num; i > 0 && keys->key[i - 1].id < id; i--)
		keys->key[i] = keys->key[i - 1];
	keys->key[i].id = id;
	keys->key[i].secret = talloc_strdup(p->cfg, secret);
	keys->num++;
	return 0;
}

static int parse_key_line(struct cfg_parser *p, char *line)
{
	char why[160];
	unsigned long id;
	char *end;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	errno = 0;
	id = isdigit((unsigned char)*line) ? strtoul(line, &end, 10) : 0;
	if (errno || id < 1 || id > ITIN_KEY_ID_MAX || !isspace((unsigned char)*end))
		return cfg_error(p, "expected 'ID SECRET' with an ID of 1 to %d", ITIN_KEY_ID_MAX);
	end = trim(end);
	if (secret_weakness(end, why, sizeof(why)))
		return cfg_error(p, "key %lu %s", id, why);
	return add_key(p, id, end);
}

/* A relative path in the config names a file beside the config file, wherever the program was
 * started from: itinerad under systemd and itinerad-db in a shell must find the same files. */
static char *config_relative(struct cfg_parser *p, const char *file)
{
	const char *slash = strrchr(p->path, '/');

	return file[0] == '/' || !slash
		? talloc_strdup(p->cfg, file)
		: talloc_asprintf(p->cfg, "%.*s/%s", (int)(slash - p->path), p->path, file);
}

/* Reads hmac_secret_file. It must be a regular file that nobody but its owner can change and
 * that not everyone can read: it holds what makes the pseudonyms irreversible. */
static int load_secret_file(struct cfg_parser *p)
{
	struct itin_config *cfg = p->cfg;
	char *path = config_relative(p, cfg->privacy.hmac_secret_file);
	const char *config_path = p->path;
	char *line = NULL;
	size_t line_cap = 0;
	struct stat st;
	ssize_t len;
	FILE *f;
	int rc = 0;

	if (!path)
		return cfg_error(p, "out of memory");
	f = fopen(path, "re");
	if (!f)
		return cfg_error(p, "[privacy] hmac_secret_file '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0)
		rc = cfg_error(p, "[privacy] hmac_secret_file '%s': %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = cfg_error(p, "[privacy] hmac_secret_file '%s' is not a regular file", path);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		rc = cfg_error(p, "[privacy] hmac_secret_file '%s' is writable by its group or by "
			       "everyone (mode %04o): whoever writes it chooses the keys; chmod 0640 it",
			       path, (unsigned)(st.st_mode & 07777));
	else if (st.st_mode & S_IROTH)
		rc = cfg_error(p, "[privacy] hmac_secret_file '%s' is readable by everyone (mode "
			       "%04o): with its keys every pseudonym can be reversed; chmod 0640 it",
			       path, (unsigned)(st.st_mode & 07777));
	p->path = path;
	while (rc == 0 && (len = getline(&line, &line_cap, f)) >= 0) {
		p->line++;
		if ((size_t)len != strlen(line))
			rc = cfg_error(p, "line contains a NUL byte");
		else
			rc = parse_key_line(p, line);
	}
	if (rc == 0 && ferror(f))
		rc = cfg_error(p, "read error: %s", strerror(errno));
	if (line)
		explicit_bzero(line, line_cap);
	free(line);
	fclose(f);
	p->path = config_path;
	p->line = 0;
	if (rc == 0 && cfg->keys.num == 0)
		rc = cfg_error(p, "[privacy] hmac_secret_file '%s' holds no 'ID SECRET' line", path);
	return rc;
}

static int load_keys(struct cfg_parser *p)
{
	const struct itin_privacy_config *privacy = &p->cfg->privacy;
	struct itin_keys *keys = &p->cfg->keys;
	char why[160];

	if (*privacy->hmac_secret && *privacy->hmac_secret_file)
		return cfg_error(p, "[privacy] set hmac_secret_file or hmac_secret, not both");
	if (*privacy->hmac_secret_file)
		return load_secret_file(p);
	if (!*privacy->hmac_secret)
		return cfg_error(p, "[privacy] hmac_secret_file (or hmac_secret) is required");
	if (secret_weakness(privacy->hmac_secret, why, sizeof(why)))
		return cfg_error(p, "[privacy] hmac_secret %s", why);
	keys->key[0].id = 1;
	keys->key[0].secret = privacy->hmac_secret;
	keys->num = 1;
	return 0;
}

int itin_config_split_address(const char *address, char *host, size_t host_len, char *port,
			      size_t port_len)
{
	const char *colon = strrchr(address, ':');
	const char *h = address;
	size_t n;
	unsigned long ul;

	if (!colon || parse_uint(colon + 1, 65535, &ul) || ul == 0)
		return -EINVAL;
	n = colon - address;
	/* an IPv6 address has colons of its own: [::1]:8470, as in URLs */
	if (address[0] == '[') {
		if (n < 3 || address[n - 1] != ']')
			return -EINVAL;
		h++;
		n -= 2;
	} else if (memchr(address, ':', n) || n == 0) {
		return -EINVAL;
	}
	if (n >= host_len || strlen(colon + 1) >= port_len)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static int validate(struct cfg_parser *p)
{
	const struct itin_service_config *svc = &p->cfg->service;
	const struct itin_database_config *db = &p->cfg->database;
	const struct itin_admin_config *admin = &p->cfg->admin;
	const struct itin_sms_config *sms = &p->cfg->sms;
	const struct itin_instance_config *inst = &p->cfg->instance;
	const struct itin_smpp_config *smpp = &p->cfg->smpp;
	char zone_path[PATH_MAX];
	const char *tzdir = getenv("TZDIR");
	struct stat st;
	unsigned y, m, d;
	char tail;

	p->line = 0;
	if (load_keys(p))
		return -EINVAL;
	if (!*db->var_dir)
		return cfg_error(p, "[database] var_dir must not be empty");
	p->cfg->database.var_dir = config_relative(p, db->var_dir);
	if (!db->var_dir)
		return cfg_error(p, "out of memory");
	if (svc->window_days < 1 || svc->window_days > 30)
		return cfg_error(p, "[service] window_days must be 1 to 30, not %u", svc->window_days);
	if (svc->max_parts < 1 || svc->max_parts > 255)
		return cfg_error(p, "[service] max_parts must be 1 to 255, not %u", svc->max_parts);
	if (sms->concat_timeout_s < 1)
		return cfg_error(p, "[sms] concat_timeout must be 1s or more");
	if (sms->concat_sender_messages < 1 || sms->concat_sender_messages > sms->concat_max_messages)
		return cfg_error(p, "[sms] concat_sender_messages must be 1 to concat_max_messages (%u), "
				 "not %u", sms->concat_max_messages, sms->concat_sender_messages);
	if (sms->concat_sender_bytes < 140 || sms->concat_sender_bytes > sms->concat_max_bytes)
		return cfg_error(p, "[sms] concat_sender_bytes must be 140 to concat_max_bytes (%u), "
				 "not %u", sms->concat_max_bytes, sms->concat_sender_bytes);
	if (p->cfg->feed.max_refused_percent > 100)
		return cfg_error(p, "[feed] max_refused_percent must be 0 to 100, not %u",
				 p->cfg->feed.max_refused_percent);
	if (db->pool_size < 1 || db->pool_size > 64)
		return cfg_error(p, "[database] pool_size must be 1 to 64, not %u", db->pool_size);
	if (svc->consent_timeout_s == 0)
		return cfg_error(p, "[service] consent_timeout must be more than 0");
	if (admin->max_connections < 1)
		return cfg_error(p, "[admin] max_connections must be 1 or more");
	if (inst->lease_s < 3)
		return cfg_error(p, "[instance] lease must be 3s or more");
	if (!*inst->name || strlen(inst->name) > 64 || strchr(inst->name, '/'))
		return cfg_error(p, "[instance] name must be 1 to 64 characters without '/'");
	if (*admin->listen) {
		char host[ITIN_HOST_MAX + 1], port[6];

		if (itin_config_split_address(admin->listen, host, sizeof(host), port, sizeof(port)))
			return cfg_error(p, "[admin] listen '%s' is not ADDRESS:PORT or [IPV6]:PORT",
					 admin->listen);
	}
	if (admin->request_timeout_s < 1)
		return cfg_error(p, "[admin] request_timeout must be 1s or more");
	if (!*svc->country_code || strspn(svc->country_code, "0123456789") != strlen(svc->country_code)
	    || strlen(svc->country_code) > 3)
		return cfg_error(p, "[service] country_code '%s' is not 1 to 3 digits", svc->country_code);
	snprintf(zone_path, sizeof(zone_path), "%s/%s", tzdir ? tzdir : "/usr/share/zoneinfo",
		 svc->time_zone);
	if (!*svc->time_zone || strstr(svc->time_zone, "..") || stat(zone_path, &st) ||
	    !S_ISREG(st.st_mode))
		return cfg_error(p, "[service] time_zone '%s' is not a known time zone (%s)",
				 svc->time_zone, zone_path);
	if (*svc->shutdown_date
	    && (sscanf(svc->shutdown_date, "%4u.%2u.%2u%c", &y, &m, &d, &tail) != 3
		|| m < 1 || m > 12 || d < 1 || d > 31 || strlen(svc->shutdown_date) != 10))
		return cfg_error(p, "[service] shutdown_date '%s' is not YYYY.MM.DD", svc->shutdown_date);
	for (unsigned i = 0; i < smpp->num; i++) {
		if (!*smpp->link[i].system_id)
			return cfg_error(p, "[smpp %s] system_id is required", smpp->link[i].name);
		if (smpp->link[i].window == 0)
			return cfg_error(p, "[smpp %s] window must be 1 or more", smpp->link[i].name);
		if (smpp->link[i].ussd_page_gsm < 40 ||
		    smpp->link[i].ussd_page_gsm > (smpp->link[i].ussd_gsm7_packed ? 289u : 253u))
			return cfg_error(p, "[smpp %s] ussd_page_gsm must be 40 to %u, not %u",
					 smpp->link[i].name, smpp->link[i].ussd_gsm7_packed ? 289 : 253,
					 smpp->link[i].ussd_page_gsm);
		if (smpp->link[i].ussd_page_ucs2 < 20 || smpp->link[i].ussd_page_ucs2 > 126)
			return cfg_error(p, "[smpp %s] ussd_page_ucs2 must be 20 to 126, not %u",
					 smpp->link[i].name, smpp->link[i].ussd_page_ucs2);
		if (smpp->link[i].ussd_session_timeout_s < 1)
			return cfg_error(p, "[smpp %s] ussd_session_timeout must be 1s or more",
					 smpp->link[i].name);
	}
	return 0;
}

struct itin_config *itin_config_load(void *ctx, const char *path, char *err, size_t err_len)
{
	struct itin_config *cfg = talloc_zero(ctx, struct itin_config);
	struct cfg_parser p = { .cfg = cfg, .path = path, .err = err, .err_len = err_len };
	char *line = NULL;
	size_t line_cap = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	if (!cfg) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	set_defaults(&p, global_options, ARRAY_LEN(global_options), cfg);
	cfg->path = talloc_strdup(cfg, path ? path : "(defaults)");
	if (!path)
		return cfg;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		talloc_free(cfg);
		return NULL;
	}
	while (rc == 0 && (len = getline(&line, &line_cap, f)) >= 0) {
		p.line++;
		if ((size_t)len != strlen(line))
			rc = cfg_error(&p, "line contains a NUL byte");
		else
			rc = parse_line(&p, line);
	}
	if (rc == 0 && ferror(f))
		rc = cfg_error(&p, "read error: %s", strerror(errno));
	free(line);
	fclose(f);
	if (rc == 0)
		rc = validate(&p);
	if (rc) {
		talloc_free(cfg);
		return NULL;
	}
	return cfg;
}

bool itin_config_answers_number(const struct itin_service_config *service, const char *e164)
{
	/* E.164 country codes are a prefix code: no code is the beginning of another. */
	if (strncmp(e164, service->country_code, strlen(service->country_code)) == 0)
		return true;
	for (unsigned i = 0; i < service->reply_country_codes.num; i++) {
		const char *cc = service->reply_country_codes.cc[i];

		if (strncmp(e164, cc, strlen(cc)) == 0)
			return true;
	}
	return false;
}

bool itin_config_mcc_is_domestic(const struct itin_service_config *service, uint16_t mcc)
{
	for (unsigned i = 0; i < service->domestic_mcc.num; i++) {
		if (service->domestic_mcc.mcc[i] == mcc)
			return true;
	}
	return false;
}

/* What a reload does not apply: the links, the database and the process's identity are set up
 * once, at the start. A NULL key: every option of the section. */
static const struct {
	const char *section, *key;
} restart_options[] = {
	{ "database", NULL }, { "instance", NULL }, { "admin", NULL }, { "service", "time_zone" },
	{ "gsup", "host" }, { "gsup", "port" }, { "gsup", "euse_name" },
};

static bool same_value(const struct cfg_option *opt, const void *a, const void *b)
{
	const void *fa = (const char *)a + opt->offset, *fb = (const char *)b + opt->offset;

	switch (opt->type) {
	case CFG_STRING:
	case CFG_STRING_8:
	case CFG_STRING_12:
	case CFG_STRING_15:
		return strcmp(*(char *const *)fa, *(char *const *)fb) == 0;
	case CFG_UINT:
	case CFG_DURATION:
	case CFG_DURATION_MS:
		return *(const unsigned *)fa == *(const unsigned *)fb;
	case CFG_PORT:
		return *(const uint16_t *)fa == *(const uint16_t *)fb;
	case CFG_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	case CFG_BIND_MODE:
		return *(const enum itin_smpp_bind_mode *)fa == *(const enum itin_smpp_bind_mode *)fb;
	default:
		/* the lists, rates and the language: options of [service], [sms] and
		 * [keywords] only, which a reload applies */
		return true;
	}
}

static bool needs_restart(const struct cfg_option *opt)
{
	for (size_t i = 0; i < ARRAY_LEN(restart_options); i++) {
		if (strcmp(restart_options[i].section, opt->section) == 0 &&
		    (!restart_options[i].key || strcmp(restart_options[i].key, opt->key) == 0))
			return true;
	}
	return false;
}

static const struct itin_smpp_link_config *find_link(const struct itin_smpp_config *smpp,
						      const char *name)
{
	for (unsigned i = 0; i < smpp->num; i++) {
		if (strcmp(smpp->link[i].name, name) == 0)
			return &smpp->link[i];
	}
	return NULL;
}

void itin_config_restart_changes(const struct itin_config *running,
				 const struct itin_config *loaded,
				 void (*changed)(void *arg, const char *setting), void *arg)
{
	char setting[sizeof("[smpp ] removed") + ITIN_LINK_NAME_MAX + 32];

	for (size_t i = 0; i < ARRAY_LEN(global_options); i++) {
		const struct cfg_option *opt = &global_options[i];

		if (needs_restart(opt) && !same_value(opt, running, loaded)) {
			snprintf(setting, sizeof(setting), "[%s] %s changed", opt->section, opt->key);
			changed(arg, setting);
		}
	}
	for (unsigned l = 0; l < running->smpp.num; l++) {
		const struct itin_smpp_link_config *old = &running->smpp.link[l];
		const struct itin_smpp_link_config *new = find_link(&loaded->smpp, old->name);

		if (!new) {
			snprintf(setting, sizeof(setting), "[smpp %s] removed", old->name);
			changed(arg, setting);
			continue;
		}
		for (size_t i = 0; i < ARRAY_LEN(link_options); i++) {
			if (same_value(&link_options[i], old, new))
				continue;
			snprintf(setting, sizeof(setting), "[smpp %s] %s changed", old->name,
				 link_options[i].key);
			changed(arg, setting);
		}
	}
	for (unsigned l = 0; l < loaded->smpp.num; l++) {
		if (find_link(&running->smpp, loaded->smpp.link[l].name))
			continue;
		snprintf(setting, sizeof(setting), "[smpp %s] added", loaded->smpp.link[l].name);
		changed(arg, setting);
	}
}

static const char *const type_names[] = {
	[CFG_STRING] = "string", [CFG_STRING_8] = "string", [CFG_STRING_12] = "string",
	[CFG_STRING_15] = "string", [CFG_UINT] = "integer", [CFG_BOOL] = "yes/no",
	[CFG_DURATION] = "duration", [CFG_DURATION_MS] = "duration", [CFG_PORT] = "port",
	[CFG_LANG] = "zh|en", [CFG_MCC_LIST] = "MCC list", [CFG_RATE] = "count/duration",
	[CFG_CAP] = "count/duration|off", [CFG_CC_LIST] = "country codes",
	[CFG_BIND_MODE] = "transceiver|split", [CFG_WORDS] = "word list",
};

static void print_options(FILE *f, const struct cfg_option *options, size_t num)
{
	const char *section = NULL;

	for (size_t i = 0; i < num; i++) {
		const struct cfg_option *opt = &options[i];

		if (!section || strcmp(section, opt->section)) {
			section = opt->section;
			fprintf(f, "\n[%s]\n", section);
		}
		fprintf(f, "  %-18s %-16s default: %-14s %s\n", opt->key, type_names[opt->type],
			opt->default_value ? (*opt->default_value ? opt->default_value : "(empty)")
					   : "(built-in text)",
			opt->doc);
	}
}

void itin_config_print_reference(FILE *f)
{
	print_options(f, global_options, ARRAY_LEN(global_options));
	print_options(f, link_options, ARRAY_LEN(link_options));
	print_options(f, template_options, ARRAY_LEN(template_options));
}

const char *itin_lang_name(enum itin_lang lang)
{
	return lang == ITIN_LANG_EN ? "en" : "zh";
}
