/* The protocol logic of the reference firmware; see livectl_core.h. */
#include "livectl_core.h"

#include <string.h>

#define LC_MAX_OUTPUTS 16

static char line[LC_MAX_LINE + 1];
static uint8_t line_len;
static uint8_t overlong;
static uint32_t last_heard;
static uint8_t running[LC_MAX_OUTPUTS];
static uint32_t started_at[LC_MAX_OUTPUTS];
static uint32_t run_for[LC_MAX_OUTPUTS];
/* The last CMD seq run: a repeated line is acknowledged, never run twice. */
static uint32_t last_seq;
static uint8_t have_seq;

static void write_u32(uint32_t v) {
    char buf[11];
    uint8_t i = sizeof(buf) - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i);
    hal_write(&buf[i]);
}

static void reply(const char *word, uint32_t seq, const char *reason) {
    hal_write(word);
    hal_write(" ");
    write_u32(seq);
    if (reason) {
        hal_write(" ");
        hal_write(reason);
    }
    hal_write("\n");
}

/* Parses a decimal number; returns 0 on anything else. */
static uint8_t parse_u32(const char *s, uint32_t *out) {
    uint32_t v = 0;
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
        if (v > 429496728UL) {
            return 0;
        }
        v = v * 10 + (uint32_t)(*s - '0');
    }
    *out = v;
    return 1;
}

static void output(uint8_t i, uint8_t on, uint32_t now, uint32_t ms) {
    running[i] = on;
    started_at[i] = now;
    run_for[i] = ms;
    hal_output(LC_OUTPUTS[i].pin, on);
}

void lc_all_off(void) {
    uint8_t i;
    for (i = 0; i < LC_OUTPUT_COUNT && i < LC_MAX_OUTPUTS; i++) {
        running[i] = 0;
        hal_output(LC_OUTPUTS[i].pin, 0);
    }
}

void lc_init(uint32_t now_ms) {
    uint8_t i;
    lc_all_off();
    line_len = 0;
    overlong = 0;
    have_seq = 0;
    last_heard = now_ms;
    hal_write("HELLO " LC_FIRMWARE " " LC_VERSION " cmds=");
    for (i = 0; i < LC_OUTPUT_COUNT && i < LC_MAX_OUTPUTS; i++) {
        if (i) {
            hal_write(",");
        }
        hal_write(LC_OUTPUTS[i].name);
    }
    hal_write("\n");
}

static void run_command(char *rest, uint32_t now) {
    char *seq_s = strtok(rest, " ");
    char *name = strtok(0, " ");
    char *dur_s = strtok(0, " ");
    uint32_t seq, duration;
    uint8_t i;
    if (!seq_s || !parse_u32(seq_s, &seq)) {
        reply("ERR", 0, "malformed_CMD");
        return;
    }
    if (!name || !dur_s || !parse_u32(dur_s, &duration)) {
        reply("ERR", seq, "malformed_CMD");
        return;
    }
    if (have_seq && seq == last_seq) {
        reply("OK", seq, 0);
        return;
    }
    if (duration > LC_MAX_DURATION_MS) {
        reply("ERR", seq, "duration_too_long");
        return;
    }
    /* Parameters (key=value) are accepted and ignored by this reference board. */
    for (i = 0; i < LC_OUTPUT_COUNT && i < LC_MAX_OUTPUTS; i++) {
        if (strcmp(LC_OUTPUTS[i].name, name) == 0) {
            last_seq = seq;
            have_seq = 1;
            output(i, 1, now, duration);
            reply("OK", seq, 0);
            return;
        }
    }
    reply("ERR", seq, "unknown_command");
}

static void handle_line(char *text, uint32_t now) {
    uint32_t seq;
    if (strcmp(text, "STOP") == 0) {
        lc_all_off();
    } else if (strncmp(text, "PING ", 5) == 0) {
        if (parse_u32(text + 5, &seq)) {
            reply("PONG", seq, 0);
        }
    } else if (strncmp(text, "CMD ", 4) == 0) {
        run_command(text + 4, now);
    }
    /* Anything else is ignored: the agent is the only one talking. */
}

void lc_feed(char c, uint32_t now_ms) {
    last_heard = now_ms;
    if (c == '\r') {
        return;
    }
    if (c == '\n') {
        if (overlong) {
            reply("ERR", 0, "line_too_long");
        } else {
            line[line_len] = '\0';
            handle_line(line, now_ms);
        }
        line_len = 0;
        overlong = 0;
        return;
    }
    if (line_len >= LC_MAX_LINE) {
        overlong = 1;
        return;
    }
    line[line_len++] = c;
}

void lc_tick(uint32_t now_ms) {
    uint8_t i;
    for (i = 0; i < LC_OUTPUT_COUNT && i < LC_MAX_OUTPUTS; i++) {
        /* Unsigned subtraction: correct across the 49-day millis() wrap. */
        if (running[i] && now_ms - started_at[i] >= run_for[i]) {
            output(i, 0, now_ms, 0);
        }
    }
    if (now_ms - last_heard >= LC_DEADMAN_MS) {
        /* Dead-man: the agent is gone (unplugged, crashed, asleep). */
        lc_all_off();
        last_heard = now_ms;
    }
}
