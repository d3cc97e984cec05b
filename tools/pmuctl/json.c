// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - a minimal streaming JSON writer.
 *
 * Owns: JSON syntax (separators, indentation, string escaping).  Strings are
 * written as UTF-8; control characters are escaped and bytes that are not
 * part of a valid UTF-8 sequence are replaced by U+FFFD, so the output is
 * always valid JSON whatever a sysfs file or directory name contains; and
 * telling a valid UTF-8 sequence (also for metrics.c's label values).
 */
#include "json.h"

#define JSON_INDENT 2

void json_writer_init(struct json_writer *w, FILE *out, bool pretty)
{
	w->out = out;
	w->pretty = pretty;
	w->depth = 0;
	w->first = true;
	w->after_name = false;
}

void json_writer_finish(struct json_writer *w)
{
	fputc('\n', w->out);
}

static void json_newline(struct json_writer *w)
{
	unsigned int i;

	fputc('\n', w->out);
	for (i = 0; i < w->depth * JSON_INDENT; i++)
		fputc(' ', w->out);
}

/* Write whatever separates the next element from the previous one. */
static void json_begin_element(struct json_writer *w)
{
	if (w->after_name) {
		w->after_name = false;
		return;
	}
	if (!w->first)
		fputc(',', w->out);
	if (w->pretty && w->depth > 0)
		json_newline(w);
	w->first = false;
}

static void json_start(struct json_writer *w, char open)
{
	json_begin_element(w);
	fputc(open, w->out);
	w->depth++;
	w->first = true;
}

static void json_end(struct json_writer *w, char close)
{
	w->depth--;
	if (w->pretty && !w->first)
		json_newline(w);
	fputc(close, w->out);
	w->first = false;
}

void json_start_object(struct json_writer *w)
{
	json_start(w, '{');
}

void json_end_object(struct json_writer *w)
{
	json_end(w, '}');
}

void json_start_array(struct json_writer *w)
{
	json_start(w, '[');
}

void json_end_array(struct json_writer *w)
{
	json_end(w, ']');
}

static bool is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

unsigned int utf8_sequence_length(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char low = 0x80, high = 0xbf;
	unsigned int length, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		length = 2;
	else if (c >= 0xe0 && c <= 0xef)
		length = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		length = 4;
	else
		return 0;

	/* Reject overlong forms, surrogates and code points above U+10FFFF. */
	if (c == 0xe0)
		low = 0xa0;
	else if (c == 0xed)
		high = 0x9f;
	else if (c == 0xf0)
		low = 0x90;
	else if (c == 0xf4)
		high = 0x8f;
	if (s[1] < low || s[1] > high)
		return 0;
	for (i = 2; i < length; i++)
		if (!is_continuation(s[i]))
			return 0;
	return length;
}

static void json_write_string(struct json_writer *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned int length;

	fputc('"', w->out);
	while (*s) {
		switch (*s) {
		case '"':
			fputs("\\\"", w->out);
			break;
		case '\\':
			fputs("\\\\", w->out);
			break;
		case '\b':
			fputs("\\b", w->out);
			break;
		case '\f':
			fputs("\\f", w->out);
			break;
		case '\n':
			fputs("\\n", w->out);
			break;
		case '\r':
			fputs("\\r", w->out);
			break;
		case '\t':
			fputs("\\t", w->out);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				fprintf(w->out, "\\u%04x", *s);
				break;
			}
			length = utf8_sequence_length(s);
			if (!length) {
				fputs("\\ufffd", w->out);
				break;
			}
			fwrite(s, 1, length, w->out);
			s += length;
			continue;
		}
		s++;
	}
	fputc('"', w->out);
}

void json_name(struct json_writer *w, const char *name)
{
	json_begin_element(w);
	json_write_string(w, name);
	fputs(w->pretty ? ": " : ":", w->out);
	w->after_name = true;
}

void json_string(struct json_writer *w, const char *value)
{
	json_begin_element(w);
	json_write_string(w, value);
}

void json_uint(struct json_writer *w, unsigned long long value)
{
	json_begin_element(w);
	fprintf(w->out, "%llu", value);
}

void json_bool(struct json_writer *w, bool value)
{
	json_begin_element(w);
	fputs(value ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	json_begin_element(w);
	fputs("null", w->out);
}
