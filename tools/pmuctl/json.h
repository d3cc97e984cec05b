/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a minimal streaming JSON writer.
 *
 * Owns: emitting objects, arrays, names, strings (escaped, always valid
 * UTF-8), unsigned numbers, booleans and null, in compact (one line) or pretty
 * (indented) form.  The caller is responsible for well-formed nesting.
 */
#ifndef PMUCTL_JSON_H
#define PMUCTL_JSON_H

#include <stdbool.h>
#include <stdio.h>

struct json_writer {
	FILE *out;
	bool pretty;
	unsigned int depth;
	bool first;		/* no element yet in the current container */
	bool after_name;	/* a name was written, its value comes next */
};

/*
 * Length of the valid UTF-8 sequence at S (1 to 4; an overlong form, a
 * surrogate or a code point above U+10FFFF is invalid), or 0 if S starts an
 * invalid one.  S is NUL-terminated.
 */
unsigned int utf8_sequence_length(const unsigned char *s);

void json_writer_init(struct json_writer *w, FILE *out, bool pretty);
/* Terminate the document with a newline. */
void json_writer_finish(struct json_writer *w);

void json_start_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_start_array(struct json_writer *w);
void json_end_array(struct json_writer *w);

void json_name(struct json_writer *w, const char *name);
void json_string(struct json_writer *w, const char *value);
void json_uint(struct json_writer *w, unsigned long long value);
void json_bool(struct json_writer *w, bool value);
void json_null(struct json_writer *w);

static inline void json_string_field(struct json_writer *w, const char *name,
				     const char *value)
{
	json_name(w, name);
	json_string(w, value);
}

static inline void json_uint_field(struct json_writer *w, const char *name,
				   unsigned long long value)
{
	json_name(w, name);
	json_uint(w, value);
}

static inline void json_bool_field(struct json_writer *w, const char *name,
				   bool value)
{
	json_name(w, name);
	json_bool(w, value);
}

/* NAME: VALUE, or NAME: null when VALUE is NULL. */
static inline void json_string_or_null_field(struct json_writer *w, const char *name,
					     const char *value)
{
	json_name(w, name);
	if (value)
		json_string(w, value);
	else
		json_null(w);
}

/* NAME: VALUE, or NAME: null unless PRESENT. */
static inline void json_uint_or_null_field(struct json_writer *w, const char *name,
					   bool present, unsigned long long value)
{
	json_name(w, name);
	if (present)
		json_uint(w, value);
	else
		json_null(w);
}

/* NAME: VALUE, or NAME: null unless PRESENT. */
static inline void json_bool_or_null_field(struct json_writer *w, const char *name,
					   bool present, bool value)
{
	json_name(w, name);
	if (present)
		json_bool(w, value);
	else
		json_null(w);
}

#endif /* PMUCTL_JSON_H */
