// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Trace container, shared reader helpers, and the native format reader.
 * The format is specified in docs/trace-format.md; every rule the reader
 * enforces is listed there with its message.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace_internal.h"

extern char **environ;

/* ---- container -------------------------------------------------------- */

void trace_init(struct trace *t)
{
	memset(t, 0, sizeof(*t));
	t->granule = 4096;
	t->start_pfn = 1;
	t->end_pfn = (UINT64_C(1) << 48) / 4096 - 1;
}

void trace_free(struct trace *t)
{
	free(t->ops);
	trace_init(t);
}

int trace_push(struct trace *t, const struct trace_op *op)
{
	if (t->nops == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 1024;
		struct trace_op *n;

		if (ncap > SIZE_MAX / sizeof(*n))
			return TRACE_ENOMEM;
		n = realloc(t->ops, ncap * sizeof(*n));
		if (!n)
			return TRACE_ENOMEM;
		t->ops = n;
		t->cap = ncap;
	}
	t->ops[t->nops++] = *op;
	return 0;
}

bool trace_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

uint64_t trace_roundup_pow2(uint64_t v)
{
	uint64_t p = 1;

	if (v > (UINT64_C(1) << 63))
		return 0;
	while (p < v)
		p <<= 1;
	return p;
}

unsigned trace_ilog2(uint64_t v)
{
	unsigned r = 0;

	while (v >>= 1)
		r++;
	return r;
}

uint64_t trace_pfn_4g(const struct trace *t)
{
	unsigned shift = trace_ilog2(t->granule);

	if (shift > 32)
		return UINT64_MAX;
	return (UINT64_C(1) << (32 - shift)) - 1;
}

/* ---- helpers ---------------------------------------------------------- */

void line_iter_init(struct line_iter *it, const char *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->pos = 0;
	it->lineno = 0;
	it->last_unterminated = false;
}

bool line_iter_next(struct line_iter *it, const char **s, size_t *n)
{
	const char *start, *nl;
	size_t rest;

	if (it->pos >= it->len)
		return false;
	start = it->buf + it->pos;
	rest = it->len - it->pos;
	nl = memchr(start, '\n', rest);
	if (nl) {
		*n = (size_t)(nl - start);
		it->pos += *n + 1;
		it->last_unterminated = false;
	} else {
		*n = rest;
		it->pos = it->len;
		it->last_unterminated = true;
	}
	if (*n && start[*n - 1] == '\r')
		(*n)--;
	*s = start;
	it->lineno++;
	return true;
}

static void default_msg(void *ctx, const char *name, unsigned long line,
			bool fatal, const char *text)
{
	(void)ctx;
	if (line)
		fprintf(stderr, "%s:%lu: %s%s\n", name, line,
			fatal ? "" : "warning: ", text);
	else
		fprintf(stderr, "%s: %s%s\n", name, fatal ? "" : "warning: ",
			text);
}

void msg_report(struct msg_ctx *m, unsigned long line, bool fatal,
		const char *fmt, ...)
{
	char text[256];
	va_list ap;
	trace_msg_fn fn = m->opts && m->opts->msg ? m->opts->msg : default_msg;
	void *ctx = m->opts ? m->opts->msg_ctx : NULL;
	unsigned max = m->opts && m->opts->max_warnings ?
			       m->opts->max_warnings : 20;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!fatal) {
		m->warnings++;
		/* A caller-supplied sink sees everything. */
		if (!(m->opts && m->opts->msg) && m->warnings > max) {
			if (m->warnings == max + 1)
				fn(ctx, m->name, 0, false,
				   "more warnings follow; not printing them");
			return;
		}
	}
	fn(ctx, m->name, line, fatal, text);
}

bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n == 0)
		return false;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		i = 2;
		for (; i < n; i++) {
			unsigned d;
			char c = s[i];

			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				d = (unsigned)(c - 'A' + 10);
			else
				return false;
			if (v >> 60)
				return false;
			v = v << 4 | d;
		}
	} else {
		for (; i < n; i++) {
			char c = s[i];
			unsigned d;

			if (c < '0' || c > '9')
				return false;
			d = (unsigned)(c - '0');
			if (v > (UINT64_MAX - d) / 10)
				return false;
			v = v * 10 + d;
		}
	}
	*out = v;
	return true;
}

/* ---- id map ----------------------------------------------------------- */

void id_map_init(struct id_map *m)
{
	memset(m, 0, sizeof(*m));
}

void id_map_free(struct id_map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	id_map_init(m);
}

static size_t id_hash(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return (size_t)k & (cap - 1);
}

static int id_map_grow(struct id_map *m)
{
	struct id_map n;
	size_t i;

	id_map_init(&n);
	n.cap = m->cap ? m->cap * 2 : 64;
	n.keys = malloc(n.cap * sizeof(*n.keys));
	n.vals = malloc(n.cap * sizeof(*n.vals));
	n.used = calloc(n.cap, 1);
	if (!n.keys || !n.vals || !n.used) {
		id_map_free(&n);
		return TRACE_ENOMEM;
	}
	for (i = 0; i < m->cap; i++)
		if (m->used[i])
			id_map_put(&n, m->keys[i], m->vals[i]);
	id_map_free(m);
	*m = n;
	return 0;
}

int id_map_put(struct id_map *m, uint64_t key, uint32_t val)
{
	size_t i;

	if ((m->count + 1) * 4 > m->cap * 3 && id_map_grow(m))
		return TRACE_ENOMEM;
	for (i = id_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->used[i]) {
			m->used[i] = 1;
			m->keys[i] = key;
			m->vals[i] = val;
			m->count++;
			return 0;
		}
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
	}
}

static bool id_map_find(const struct id_map *m, uint64_t key, size_t *at)
{
	size_t i;

	if (!m->cap)
		return false;
	for (i = id_hash(key, m->cap); m->used[i];
	     i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			*at = i;
			return true;
		}
	}
	return false;
}

bool id_map_get(const struct id_map *m, uint64_t key, uint32_t *val)
{
	size_t i;

	if (!id_map_find(m, key, &i))
		return false;
	*val = m->vals[i];
	return true;
}

bool id_map_del(struct id_map *m, uint64_t key)
{
	size_t i, j, mask = m->cap - 1;

	if (!id_map_find(m, key, &i))
		return false;
	/* Backward-shift: pull later members of the cluster into the hole
	 * unless their home lies cyclically in (i, j]. */
	m->used[i] = 0;
	m->count--;
	for (j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
		size_t h = id_hash(m->keys[j], m->cap);
		bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);

		if (stays)
			continue;
		m->keys[i] = m->keys[j];
		m->vals[i] = m->vals[j];
		m->used[i] = 1;
		m->used[j] = 0;
		i = j;
	}
	return true;
}

/* ---- loading ---------------------------------------------------------- */

static const char native_magic[] = "iovatrace";

enum trace_format trace_detect(const char *buf, size_t len)
{
	struct line_iter it;
	const char *s;
	size_t n;

	line_iter_init(&it, buf, len);
	while (line_iter_next(&it, &s, &n)) {
		size_t i = 0, m = sizeof(native_magic) - 1;

		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n || s[i] == '#')
			continue;
		if (n - i >= m && !memcmp(s + i, native_magic, m) &&
		    (n - i == m || s[i + m] == ' ' || s[i + m] == '\t'))
			return TRACE_FMT_NATIVE;
		return TRACE_FMT_KERNEL;
	}
	return TRACE_FMT_KERNEL;
}

int trace_parse_buf(const char *buf, size_t len, const char *name,
		    const struct trace_opts *opts, struct trace *t)
{
	enum trace_format f = opts ? opts->format : TRACE_FMT_AUTO;

	if (f == TRACE_FMT_AUTO)
		f = trace_detect(buf, len);
	if (f == TRACE_FMT_NATIVE)
		return trace_parse_native(buf, len, name, opts, t);
	return trace_import_kernel(buf, len, name, opts, t);
}

/* Read all of f into *buf / *len.  0, TRACE_ENOMEM or TRACE_EIO. */
static int read_all(FILE *f, char **buf, size_t *len)
{
	size_t cap = 0;

	*buf = NULL;
	*len = 0;
	for (;;) {
		size_t got;

		if (cap - *len < 65536) {
			size_t ncap = cap ? cap * 2 : 1 << 20;
			char *n = realloc(*buf, ncap);

			if (!n) {
				free(*buf);
				*buf = NULL;
				return TRACE_ENOMEM;
			}
			*buf = n;
			cap = ncap;
		}
		got = fread(*buf + *len, 1, cap - *len, f);
		*len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(*buf);
		*buf = NULL;
		return TRACE_EIO;
	}
	return 0;
}

/* Compressed inputs are read through the system's decompressor. */
static const struct compressor {
	const char *name, *tool, *package;
	unsigned char magic[6];
	size_t mlen;
} compressors[] = {
	{ "gzip", "gzip", "gzip", { 0x1f, 0x8b }, 2 },
	{ "xz", "xz", "xz-utils", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
	{ "zstd", "zstd", "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	{ "bzip2", "bzip2", "bzip2", { 'B', 'Z', 'h' }, 3 },
};

const char *trace_compression(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(compressors) / sizeof(compressors[0]); i++)
		if (len >= compressors[i].mlen &&
		    !memcmp(buf, compressors[i].magic, compressors[i].mlen))
			return compressors[i].name;
	return NULL;
}

/* "TOOL -dc -- path" into *buf / *len; 0, or a fatal message and < 0. */
static int decompress(struct msg_ctx *m, const char *path, const char *what,
		      char **buf, size_t *len)
{
	const struct compressor *c = compressors;
	char *argv[5];
	posix_spawn_file_actions_t fa;
	int fd[2], status = 0, r, e;
	pid_t pid;
	FILE *f;

	while (strcmp(c->name, what))
		c++;
	argv[0] = (char *)c->tool;
	argv[1] = (char *)"-dc";
	argv[2] = (char *)"--";
	argv[3] = (char *)path;
	argv[4] = NULL;
	if (pipe(fd)) {
		msg_report(m, 0, true, "%s-compressed: cannot decompress: %s",
			   c->name, strerror(errno));
		return TRACE_EIO;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	e = posix_spawnp(&pid, c->tool, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (e) {
		close(fd[0]);
		msg_report(m, 0, true, "%s-compressed, and '%s' cannot be run "
			   "(%s): install %s or decompress it first", c->name,
			   c->tool, strerror(e), c->package);
		return TRACE_EIO;
	}
	f = fdopen(fd[0], "rb");
	if (!f) {
		close(fd[0]);
		r = TRACE_ENOMEM;
	} else {
		r = read_all(f, buf, len);
		fclose(f);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!r && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		free(*buf);
		*buf = NULL;
		msg_report(m, 0, true, "%s-compressed, and '%s -dc' failed "
			   "(corrupt or truncated archive?)", c->name, c->tool);
		return TRACE_EPARSE;
	}
	if (r)
		msg_report(m, 0, true, r == TRACE_ENOMEM ? "out of memory" :
			   "read error while decompressing");
	return r;
}

int trace_load_file(const char *path, const struct trace_opts *opts,
		    struct trace *t)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	struct msg_ctx m = { opts, path, 0 };
	const char *z, *nul;
	char *buf = NULL;
	size_t len = 0;
	int r;

	trace_init(t);
	if (!f) {
		msg_report(&m, 0, true, "cannot open: %s", strerror(errno));
		return TRACE_EIO;
	}
	r = read_all(f, &buf, &len);
	if (f != stdin)
		fclose(f);
	if (r) {
		msg_report(&m, 0, true, r == TRACE_ENOMEM ? "out of memory" :
			   "read error");
		return r;
	}
	z = trace_compression(buf, len);
	if (z && f == stdin) {
		msg_report(&m, 0, true, "%s-compressed data on standard input: "
			   "pipe it through '%s -dc' first", z, z);
		free(buf);
		return TRACE_EPARSE;
	}
	if (z) {
		free(buf);
		r = decompress(&m, path, z, &buf, &len);
		if (r)
			return r;
	}
	/* A trace is text: a NUL byte means a binary file (perf.data, a
	 * core, an archive of another kind...), which would otherwise read
	 * as lines of junk that the kernel importer skips. */
	nul = memchr(buf, '\0', len);
	if (nul) {
		msg_report(&m, 0, true, "binary data (a NUL byte at offset %zu): "
			   "not a text trace%s", (size_t)(nul - buf),
			   len >= 8 && !memcmp(buf, "PERFILE2", 8) ?
				   "; this is perf.data: convert it with "
				   "'perf script'" : "");
		free(buf);
		return TRACE_EPARSE;
	}
	r = trace_parse_buf(buf, len, path, opts, t);
	free(buf);
	return r;
}

/* ---- native reader ---------------------------------------------------- */

#define MAX_TOKENS 16

struct tok {
	const char *s;
	size_t n;
};

/* Split at blanks, stop at '#'.  Returns the count, or -1 if too many. */
static int tokenize(const char *s, size_t n, struct tok *tk)
{
	size_t i = 0;
	int k = 0;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n || s[i] == '#')
			return k;
		if (k == MAX_TOKENS)
			return -1;
		tk[k].s = s + i;
		while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '#')
			i++;
		tk[k].n = (size_t)(s + i - tk[k].s);
		k++;
	}
}

static bool tok_is(const struct tok *t, const char *word)
{
	size_t n = strlen(word);

	return t->n == n && !memcmp(t->s, word, n);
}

struct native_state {
	struct msg_ctx m;
	struct trace *t;
	struct id_map live;
	bool magic, in_ops, ended;
	bool seen_granule, seen_start, seen_end;
	uint64_t end_count;
};

#define FAIL(st, ln, ...)                                                   \
	do {                                                                \
		msg_report(&(st)->m, (ln), true, __VA_ARGS__);              \
		return TRACE_EPARSE;                                        \
	} while (0)

static int num_arg(struct native_state *st, unsigned long ln,
		   const struct tok *tk, const char *what, uint64_t *v)
{
	if (!parse_u64(tk->s, tk->n, v))
		FAIL(st, ln, "%s: bad number '%.*s'", what,
		     (int)(tk->n > 40 ? 40 : tk->n), tk->s);
	return 0;
}

static int header_line(struct native_state *st, unsigned long ln,
		       struct tok *tk, int k)
{
	struct trace *t = st->t;
	uint64_t v;
	bool *seen;
	uint64_t *dst;

	if (tok_is(&tk[0], "granule")) {
		seen = &st->seen_granule;
		dst = &t->granule;
	} else if (tok_is(&tk[0], "start_pfn")) {
		seen = &st->seen_start;
		dst = &t->start_pfn;
	} else if (tok_is(&tk[0], "end_pfn")) {
		seen = &st->seen_end;
		dst = &t->end_pfn;
	} else {
		return 1;	/* not a header key */
	}
	if (st->in_ops)
		FAIL(st, ln, "'%.*s' after the first operation", (int)tk[0].n,
		     tk[0].s);
	if (*seen)
		FAIL(st, ln, "duplicate '%.*s'", (int)tk[0].n, tk[0].s);
	if (k != 2)
		FAIL(st, ln, "'%.*s' takes one value", (int)tk[0].n, tk[0].s);
	if (num_arg(st, ln, &tk[1], "header", &v))
		return TRACE_EPARSE;
	if (dst == &t->granule && !trace_is_pow2(v))
		FAIL(st, ln, "granule must be a power of two");
	*seen = true;
	*dst = v;
	return 0;
}

static int start_ops(struct native_state *st, unsigned long ln)
{
	struct trace *t = st->t;

	if (st->in_ops)
		return 0;
	st->in_ops = true;
	if (t->start_pfn > t->end_pfn)
		FAIL(st, ln, "start_pfn 0x%llx > end_pfn 0x%llx",
		     (unsigned long long)t->start_pfn,
		     (unsigned long long)t->end_pfn);
	return 0;
}

static int alloc_line(struct native_state *st, unsigned long ln,
		      struct tok *tk, int k)
{
	struct trace *t = st->t;
	struct trace_op op;
	uint32_t dummy;
	int i;

	memset(&op, 0, sizeof(op));
	op.kind = TRACE_ALLOC;
	op.line = (uint32_t)ln;
	if (k < 6)
		FAIL(st, ln, "alloc needs: a ID SIZE LIMIT ALIGN POLICY");
	if (num_arg(st, ln, &tk[1], "alloc id", &op.id) ||
	    num_arg(st, ln, &tk[2], "alloc size", &op.a) ||
	    num_arg(st, ln, &tk[3], "alloc limit", &op.b) ||
	    num_arg(st, ln, &tk[4], "alloc align", &op.align))
		return TRACE_EPARSE;
	if (op.a == 0)
		FAIL(st, ln, "alloc size 0");
	if (!trace_is_pow2(op.align))
		FAIL(st, ln, "alloc align %llu is not a power of two",
		     (unsigned long long)op.align);
	if (tok_is(&tk[5], "td"))
		op.policy = TRACE_TOP_DOWN;
	else if (tok_is(&tk[5], "bu"))
		op.policy = TRACE_BOTTOM_UP;
	else if (tok_is(&tk[5], "ex"))
		op.policy = TRACE_EXACT;
	else
		FAIL(st, ln, "alloc policy must be td, bu or ex");
	for (i = 6; i < k; i++) {
		const char *eq = memchr(tk[i].s, '=', tk[i].n);
		struct tok key, val;
		uint64_t v;

		if (!eq)
			FAIL(st, ln, "expected key=value, got '%.*s'",
			     (int)(tk[i].n > 40 ? 40 : tk[i].n), tk[i].s);
		key.s = tk[i].s;
		key.n = (size_t)(eq - tk[i].s);
		val.s = eq + 1;
		val.n = tk[i].n - key.n - 1;
		if (num_arg(st, ln, &val, "alloc field", &v))
			return TRACE_EPARSE;
		if (tok_is(&key, "min")) {
			if (op.has_min)
				FAIL(st, ln, "duplicate min=");
			op.has_min = 1;
			op.min_pfn = v;
		} else if (tok_is(&key, "at")) {
			if (op.has_at)
				FAIL(st, ln, "duplicate at=");
			op.has_at = 1;
			op.at = v;
		} else {
			FAIL(st, ln, "unknown alloc field '%.*s'",
			     (int)(key.n > 40 ? 40 : key.n), key.s);
		}
	}
	if (!op.has_min)
		op.min_pfn = t->start_pfn;
	if (op.policy == TRACE_EXACT && !op.has_min)
		FAIL(st, ln, "policy ex needs min=PFN (the address)");
	if (op.a - 1 > UINT64_MAX - op.min_pfn)
		FAIL(st, ln, "alloc range wraps past the top of the space");
	if (id_map_get(&st->live, op.id, &dummy))
		FAIL(st, ln, "alloc id %llu is already live",
		     (unsigned long long)op.id);
	if (t->nslots == UINT32_MAX)
		FAIL(st, ln, "too many allocations");
	op.slot = t->nslots;
	if (id_map_put(&st->live, op.id, op.slot))
		return TRACE_ENOMEM;
	if (trace_push(t, &op))
		return TRACE_ENOMEM;
	t->nslots++;
	t->nallocs++;
	{
		uint64_t lim = op.b < t->end_pfn ? op.b : t->end_pfn;

		if (lim > t->max_limit)
			t->max_limit = lim;
	}
	return 0;
}

static int native_line(struct native_state *st, unsigned long ln,
		       const char *s, size_t n)
{
	struct tok tk[MAX_TOKENS];
	struct trace *t = st->t;
	struct trace_op op;
	int k, r;

	if (n > TRACE_MAX_LINE)
		FAIL(st, ln, "line longer than %d bytes", TRACE_MAX_LINE);
	if (memchr(s, '\0', n))
		FAIL(st, ln, "NUL byte in line");
	k = tokenize(s, n, tk);
	if (k < 0)
		FAIL(st, ln, "too many fields");
	if (k == 0)
		return 0;
	if (st->ended)
		FAIL(st, ln, "data after 'end'");
	if (!st->magic) {
		uint64_t ver;

		if (!tok_is(&tk[0], native_magic))
			FAIL(st, ln, "expected 'iovatrace 1' first");
		if (k != 2 || !parse_u64(tk[1].s, tk[1].n, &ver) || ver != 1)
			FAIL(st, ln, "unsupported trace version (want 'iovatrace 1')");
		st->magic = true;
		return 0;
	}
	r = header_line(st, ln, tk, k);
	if (r <= 0)
		return r;
	if (start_ops(st, ln))
		return TRACE_EPARSE;
	memset(&op, 0, sizeof(op));
	op.line = (uint32_t)ln;
	if (tok_is(&tk[0], "a"))
		return alloc_line(st, ln, tk, k);
	if (tok_is(&tk[0], "f")) {
		if (k != 2)
			FAIL(st, ln, "free needs: f ID");
		if (num_arg(st, ln, &tk[1], "free id", &op.id))
			return TRACE_EPARSE;
		if (!id_map_get(&st->live, op.id, &op.slot))
			FAIL(st, ln, "free of id %llu, which is not live",
			     (unsigned long long)op.id);
		id_map_del(&st->live, op.id);
		op.kind = TRACE_FREE;
		t->nfrees++;
		return trace_push(t, &op);
	}
	if (tok_is(&tk[0], "r")) {
		if (k != 3)
			FAIL(st, ln, "reserve needs: r LO HI");
		if (num_arg(st, ln, &tk[1], "reserve lo", &op.a) ||
		    num_arg(st, ln, &tk[2], "reserve hi", &op.b))
			return TRACE_EPARSE;
		if (op.a > op.b)
			FAIL(st, ln, "reserve lo > hi");
		op.kind = TRACE_RESERVE;
		t->nreserves++;
		return trace_push(t, &op);
	}
	if (tok_is(&tk[0], "end")) {
		if (k != 2 || num_arg(st, ln, &tk[1], "end count", &st->end_count))
			FAIL(st, ln, "end needs: end NOPS");
		if (st->end_count != t->nops)
			FAIL(st, ln, "end says %llu operations, found %llu "
			     "(truncated or edited trace)",
			     (unsigned long long)st->end_count,
			     (unsigned long long)t->nops);
		st->ended = true;
		t->has_end = true;
		return 0;
	}
	FAIL(st, ln, "unknown operation '%.*s'",
	     (int)(tk[0].n > 40 ? 40 : tk[0].n), tk[0].s);
}

int trace_parse_native(const char *buf, size_t len, const char *name,
		       const struct trace_opts *opts, struct trace *t)
{
	struct native_state st;
	struct line_iter it;
	const char *s;
	size_t n;
	int r = 0;

	memset(&st, 0, sizeof(st));
	st.m.opts = opts;
	st.m.name = name;
	st.t = t;
	trace_init(t);
	id_map_init(&st.live);
	line_iter_init(&it, buf, len);
	while (line_iter_next(&it, &s, &n)) {
		r = native_line(&st, it.lineno, s, n);
		if (r)
			break;
	}
	if (!r && !st.magic) {
		msg_report(&st.m, it.lineno, true,
			   "empty trace (no 'iovatrace 1' header)");
		r = TRACE_EPARSE;
	}
	if (!r && !st.in_ops && start_ops(&st, it.lineno))
		r = TRACE_EPARSE;
	if (!r && !st.ended && it.last_unterminated && it.lineno) {
		/* Cut in the middle of a line: what is left of it may even
		 * parse ("at=0x12" of "at=0x1234"), so never accept it. */
		msg_report(&st.m, it.lineno, true, "no newline at the end and "
			   "no 'end' line: the trace is truncated");
		r = TRACE_EPARSE;
	} else if (!r && !st.ended) {
		msg_report(&st.m, it.lineno, opts && opts->strict,
			   "no 'end' line: the trace may be truncated");
		if (opts && opts->strict)
			r = TRACE_EPARSE;
	}
	id_map_free(&st.live);
	if (r) {
		if (r == TRACE_ENOMEM)
			msg_report(&st.m, it.lineno, true, "out of memory");
		trace_free(t);
		return r;
	}
	return 0;
}
