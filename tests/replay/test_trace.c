// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * Native trace format: writer/reader round trips, every reader error with
 * its exact line number, truncated input, and the latency histogram.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "tap.h"
#include "trace.h"
#include "trace_write.h"

/* Collects what the reader reports. */
struct seen {
	unsigned long fatal_line, warn_line;
	int fatals, warns;
	char fatal_text[256];
};

static void collect(void *ctx, const char *name, unsigned long line,
		    bool fatal, const char *text)
{
	struct seen *s = ctx;

	(void)name;
	if (fatal) {
		if (!s->fatals++) {
			s->fatal_line = line;
			snprintf(s->fatal_text, sizeof(s->fatal_text), "%s", text);
		}
	} else {
		if (!s->warns++)
			s->warn_line = line;
	}
}

static int parse(const char *text, size_t len, bool strict, struct seen *s,
		 struct trace *t)
{
	struct trace_opts o;

	memset(&o, 0, sizeof(o));
	memset(s, 0, sizeof(*s));
	o.format = TRACE_FMT_NATIVE;
	o.strict = strict;
	o.msg = collect;
	o.msg_ctx = s;
	return trace_parse_buf(text, len, "t", &o, t);
}

static char *write_sample(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct trace_writer *w = trace_writer_stream(f, 4096, 1, 0xfffffffff);
	struct trace_op op;

	trace_write_reserve(w, 0xfee00, 0xfeeff);
	trace_write_alloc(w, 10, 1, 0xfffffffff, 1, TRACE_TOP_DOWN);
	trace_write_alloc(w, 11, 3, 0xfffff, 4, TRACE_TOP_DOWN);
	trace_write_free(w, 10);
	trace_write_alloc(w, 10, 64, 0xfffff, 64, TRACE_TOP_DOWN);
	memset(&op, 0, sizeof(op));
	op.kind = TRACE_ALLOC;
	op.id = 12;
	op.a = 5;
	op.b = 0xffffff;
	op.align = 1;
	op.policy = TRACE_BOTTOM_UP;
	op.has_min = 1;
	op.min_pfn = 0x1000;
	trace_write_alloc_op(w, &op);
	op.id = 13;
	op.policy = TRACE_EXACT;
	op.min_pfn = 0x2000;
	op.has_at = 1;
	op.at = 0x2000;
	trace_write_alloc_op(w, &op);
	trace_write_free(w, 11);
	trace_write_free(w, 13);
	is_int(trace_writer_close(w), 0, "writer closes cleanly");
	fclose(f);
	return buf;
}

static void test_roundtrip(void)
{
	struct trace t;
	struct seen s;
	size_t len, len2;
	char *text = write_sample(&len), *again = NULL;
	FILE *f;

	is_int(parse(text, len, true, &s, &t), 0, "written trace parses (strict)");
	is_u64(t.granule, 4096, "granule");
	is_u64(t.start_pfn, 1, "start_pfn");
	is_u64(t.end_pfn, 0xfffffffff, "end_pfn");
	is_u64(t.nops, 9, "9 operations");
	is_u64(t.nallocs, 5, "5 allocs");
	is_u64(t.nfrees, 3, "3 frees");
	is_u64(t.nreserves, 1, "1 reserve");
	is_u64(t.nslots, 5, "5 slots");
	ok(t.has_end, "end line seen");
	is_u64(t.max_limit, 0xfffffffff, "max limit");
	if (t.nops == 9) {
		is_int(t.ops[0].kind, TRACE_RESERVE, "op 0 reserve");
		is_u64(t.ops[0].a, 0xfee00, "reserve lo");
		is_u64(t.ops[0].b, 0xfeeff, "reserve hi");
		is_u64(t.ops[2].align, 4, "alloc align");
		is_u64(t.ops[2].min_pfn, 1, "default min = start_pfn");
		is_int(t.ops[3].kind, TRACE_FREE, "op 3 free");
		is_u64(t.ops[3].slot, t.ops[1].slot, "free names its alloc's slot");
		is_u64(t.ops[4].id, 10, "id 10 reused after its free");
		ok(t.ops[4].slot != t.ops[1].slot, "a reused id gets a new slot");
		is_int(t.ops[5].policy, TRACE_BOTTOM_UP, "bu policy");
		ok(t.ops[5].has_min && t.ops[5].min_pfn == 0x1000, "min= kept");
		is_int(t.ops[6].policy, TRACE_EXACT, "ex policy");
		ok(t.ops[6].has_at && t.ops[6].at == 0x2000, "at= kept");
		is_u64(t.ops[7].slot, t.ops[2].slot, "free 11 -> slot of id 11");
		is_u64(t.ops[8].slot, t.ops[6].slot, "free 13 -> slot of id 13");
	}
	f = open_memstream(&again, &len2);
	is_int(trace_write_all(f, &t, NULL), 0, "write back");
	fclose(f);
	ok(len == len2 && !memcmp(text, again, len),
	   "writing the parsed trace reproduces the text byte for byte");
	trace_free(&t);
	free(text);
	free(again);
}

struct bad_case {
	const char *text;
	unsigned long line;
	const char *msg;	/* a substring of the message */
};

static const struct bad_case bad[] = {
	{ "", 0, "empty trace" },
	{ "# only a comment\n\n", 2, "empty trace" },
	{ "iovatrace 2\n", 1, "version" },
	{ "hello\n", 1, "expected 'iovatrace 1'" },
	{ "iovatrace 1\ngranule 3000\n", 2, "power of two" },
	{ "iovatrace 1\ngranule 4096\ngranule 4096\n", 3, "duplicate" },
	{ "iovatrace 1\ngranule\n", 2, "one value" },
	{ "iovatrace 1\na 1 4 0xff 4 td\ngranule 4096\n", 3, "after the first" },
	{ "iovatrace 1\n# c\n\na 1 0 0xff 1 td\n", 4, "size 0" },
	{ "iovatrace 1\na 1 4 0xff 3 td\n", 2, "not a power of two" },
	{ "iovatrace 1\na 1 4 0xff 4 up\n", 2, "policy" },
	{ "iovatrace 1\na 1 4 0xff 4 td foo=1\n", 2, "unknown alloc field" },
	{ "iovatrace 1\na 1 4 0xff 4 td at\n", 2, "key=value" },
	{ "iovatrace 1\na 1 4 0xff 4 td at=1 at=2\n", 2, "duplicate at=" },
	{ "iovatrace 1\na 1 4 0xff 4 ex\n", 2, "needs min=" },
	{ "iovatrace 1\na 1 4 0xfg 4 td\n", 2, "bad number" },
	{ "iovatrace 1\na 1 4 99999999999999999999 4 td\n", 2, "bad number" },
	{ "iovatrace 1\na 1 4 0x11112222333344445 4 td\n", 2, "bad number" },
	{ "iovatrace 1\na 1 4 -5 4 td\n", 2, "bad number" },
	{ "iovatrace 1\na 1 2 0xff 1 td min=0xffffffffffffffff\n", 2, "wraps" },
	{ "iovatrace 1\na 1 4 0xff 4 td\n\na 1 4 0xff 4 td\n", 4, "already live" },
	{ "iovatrace 1\nf 7\n", 2, "not live" },
	{ "iovatrace 1\na 7 1 0xff 1 td\nf 7\nf 7\n", 4, "not live" },
	{ "iovatrace 1\nr 9 3\n", 2, "lo > hi" },
	{ "iovatrace 1\nr 9\n", 2, "reserve needs" },
	{ "iovatrace 1\na 1 4\n", 2, "alloc needs" },
	{ "iovatrace 1\nx 1\n", 2, "unknown operation" },
	{ "iovatrace 1\na 1 4 0xff 4 td\nend 5\n", 3, "end says 5" },
	{ "iovatrace 1\nend 0\na 1 4 0xff 4 td\n", 3, "after 'end'" },
	{ "iovatrace 1\nstart_pfn 9\nend_pfn 8\nr 9 9\n", 4, "start_pfn" },
	{ "iovatrace 1\nstart_pfn 9\nend_pfn 8\n", 3, "start_pfn" },
	{ "iovatrace 1\nf 1 2\n", 2, "free needs" },
	{ "iovatrace 1\na 1 1 1 1 td 1 2 3 4 5 6 7 8 9 10 11\n", 2,
	  "too many fields" },
};

static void test_errors(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trace t;
		struct seen s;
		int r = parse(bad[i].text, strlen(bad[i].text), false, &s, &t);

		is_int(r, TRACE_EPARSE, "bad case %zu fails", i);
		is_u64(s.fatal_line, bad[i].line, "bad case %zu: line %lu", i,
		       bad[i].line);
		if (!ok(strstr(s.fatal_text, bad[i].msg) != NULL,
			"bad case %zu: message mentions '%s'", i, bad[i].msg))
			diag("message was: %s", s.fatal_text);
		ok(t.nops == 0 && t.ops == NULL, "bad case %zu: trace left empty",
		   i);
	}
}

static void test_odd_bytes(void)
{
	static const char nul[] = "iovatrace 1\na 1 1 0xff\0 1 td\n";
	char *longl = malloc(6000);
	struct trace t;
	struct seen s;

	is_int(parse(nul, sizeof(nul) - 1, false, &s, &t), TRACE_EPARSE,
	       "NUL byte rejected");
	is_u64(s.fatal_line, 2, "NUL byte: line 2");
	memcpy(longl, "iovatrace 1\n# ", 14);
	memset(longl + 14, 'x', 6000 - 14);
	is_int(parse(longl, 6000, false, &s, &t), TRACE_EPARSE,
	       "over-long line rejected");
	is_u64(s.fatal_line, 2, "over-long line: line 2");
	free(longl);
	/* CRLF, tabs, trailing comments, hex and decimal, no final newline. */
	{
		static const char ok_text[] =
			"iovatrace 1\r\n\tgranule 0x1000 # 4 KiB\r\n"
			"a 0x10 2 255 2 td # an alloc\r\nf 16\r\nend 2";
		is_int(parse(ok_text, sizeof(ok_text) - 1, true, &s, &t), 0,
		       "CRLF, tabs, comments, mixed radix parse");
		is_u64(t.nops, 2, "two ops");
		is_u64(t.ops[0].id, 16, "0x10 == 16");
		is_u64(t.ops[0].b, 255, "decimal limit");
		trace_free(&t);
	}
	/* Without "end": a warning, or an error when strict. */
	{
		static const char noend[] = "iovatrace 1\na 1 1 0xff 1 td\n";

		is_int(parse(noend, sizeof(noend) - 1, false, &s, &t), 0,
		       "no end: loads");
		is_int(s.warns, 1, "no end: one warning");
		trace_free(&t);
		is_int(parse(noend, sizeof(noend) - 1, true, &s, &t),
		       TRACE_EPARSE, "no end: strict fails");
		/* Cut mid-line, and what is left still parses: an error
		 * even when not strict. */
		is_int(parse("iovatrace 1\na 1 1 0xff 1 td at=0x12", 35,
			     false, &s, &t), TRACE_EPARSE,
		       "cut mid-line without end: fails");
		is_u64(s.fatal_line, 2, "... at line 2");
		ok(strstr(s.fatal_text, "truncated") != NULL,
		   "... saying truncated");
	}
}

static void test_truncation(void)
{
	size_t len, cut, fails_strict = 0, crashes = 0;
	char *text = write_sample(&len);

	/* Every proper prefix except the one that only drops the final
	 * newline must fail under --strict (the "end" line is missing or
	 * wrong), and none may crash in either mode. */
	for (cut = 0; cut + 1 < len; cut++) {
		struct trace t;
		struct seen s;
		char *copy = malloc(cut + 1);
		unsigned long lines = 1;
		size_t i;

		memcpy(copy, text, cut);
		for (i = 0; i < cut; i++)
			lines += copy[i] == '\n';
		if (parse(copy, cut, true, &s, &t) == TRACE_EPARSE)
			fails_strict++;
		else
			trace_free(&t);
		if (s.fatal_line > lines)
			crashes++;
		if (!parse(copy, cut, false, &s, &t))
			trace_free(&t);
		free(copy);
	}
	is_u64(fails_strict, len - 1, "every truncation detected (strict)");
	is_u64(crashes, 0, "error lines stay inside the input");
	/* A cut in the middle of an alloc line names that line. */
	{
		static const char cutmid[] = "iovatrace 1\ngranule 4096\n"
					     "a 1 1 0xff 1 td\na 2 4 0xf";
		struct trace t;
		struct seen s;

		is_int(parse(cutmid, sizeof(cutmid) - 1, false, &s, &t),
		       TRACE_EPARSE, "cut mid-line fails");
		is_u64(s.fatal_line, 4, "... at line 4");
		ok(strstr(s.fatal_text, "alloc needs") != NULL,
		   "... saying what is missing");
	}
	free(text);
}

static void test_writer_comment(void)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct trace_writer *w = trace_writer_stream(f, 65536, 0, 0xffff);

	trace_write_comment(w, "two\nlines");
	trace_write_comment(w, "%s", "");
	trace_writer_close(w);
	fclose(f);
	ok(strstr(buf, "# two\n# lines\n#\nend 0\n") != NULL,
	   "multi-line and empty comments");
	ok(strstr(buf, "granule 65536\nstart_pfn 0x0\nend_pfn 0xffff\n") != NULL,
	   "header carries the geometry");
	free(buf);
}

static void test_hist(void)
{
	struct rhist h;
	uint64_t v;
	unsigned prev = 0;
	int mono = 1, cover = 1, i;

	for (v = 0; v < 100000; v += 1 + v / 7) {
		unsigned b = rhist_bucket(v);

		if (b < prev)
			mono = 0;
		prev = b;
		if (rhist_bucket_hi(b) < v ||
		    (b && rhist_bucket_hi(b - 1) >= v))
			cover = 0;
	}
	ok(mono, "bucket index grows with the value");
	ok(cover, "each value lies in its bucket's range");
	ok(rhist_bucket(UINT64_MAX) < HIST_BUCKETS, "top value fits");
	rhist_init(&h);
	is_u64(rhist_pct(&h, 0.5), 0, "empty: p50 0");
	for (i = 1; i <= 1000; i++)
		rhist_add(&h, (uint64_t)i);
	v = rhist_pct(&h, 0.5);
	ok(v >= 500 && v <= 500 * 9 / 8 + 1, "p50 of 1..1000 ~ 500 (%llu)",
	   (unsigned long long)v);
	v = rhist_pct(&h, 0.99);
	ok(v >= 990 && v <= 1000, "p99 of 1..1000 ~ 990, <= max (%llu)",
	   (unsigned long long)v);
	is_u64(rhist_pct(&h, 1.0), 1000, "p100 = max");
	is_u64(h.n, 1000, "count");
}

int main(void)
{
	test_roundtrip();
	test_errors();
	test_odd_bytes();
	test_truncation();
	test_writer_comment();
	test_hist();
	return tap_done();
}
