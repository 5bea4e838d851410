/*
 * livectl ESP32 firmware: the decisions, in portable C with no Arduino,
 * network or JSON dependency, so they build for the ESP32 (the Arduino IDE
 * compiles every .c file of the sketch folder) and on any host, where
 * firmware/esp32/test/core_test.c checks them (scripts/test runs it).
 *
 * The sketch (livectl_esp32.ino) is a thin shell: it parses the MQTT JSON
 * into an le_command, asks le_run for the verdict, publishes it as the ack,
 * and calls le_tick, le_kill and le_connection_lost.
 *
 * What the core guarantees (protocols.md §3, §6):
 *  - a command runs only if its workspace and device are this board's own;
 *  - never beyond the device's maximum duration;
 *  - never without a synced wall clock, never after its expires_at, and not
 *    when expires_at lies further ahead than the server's command TTL plus the
 *    allowed clock skew (a real command never does: it was made up or
 *    replayed from a recording);
 *  - at most once: the last LE_SEEN_IDS ids are remembered;
 *  - never while the kill switch is engaged;
 *  - only a command in the output table;
 *  - every output switches off by itself when its duration ends, and all of
 *    them at boot, on a kill frame and when the broker connection is lost.
 */
#ifndef LIVECTL_ESP32_CORE_H
#define LIVECTL_ESP32_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How many command ids the board remembers to refuse a replay. */
#define LE_SEEN_IDS 32
/* The longest command id kept (livectl's ids are ~30 characters). */
#define LE_MAX_ID 63
/* A wall clock before this (2023-11-14) is not synced yet (NTP pending). */
#define LE_SYNCED_AFTER_MS 1700000000000LL

/* One output: a command name, the GPIO it drives, and its running state. */
typedef struct {
    const char *name;
    uint8_t pin;
    uint8_t on;
    uint32_t started_ms;
    uint32_t run_for_ms;
} le_output;

/* The board: its identity, limits, outputs, and what it remembers. */
typedef struct {
    const char *workspace_id;
    const char *device_id;
    int64_t max_duration_ms;
    int64_t command_ttl_ms;
    int64_t clock_skew_ms;
    le_output *outputs;
    size_t output_count;
    /* Drives one pin (digitalWrite on the ESP32). */
    void (*write_pin)(uint8_t pin, uint8_t on);
    uint8_t killed;
    char seen[LE_SEEN_IDS][LE_MAX_ID + 1];
    size_t seen_next;
} le_board;

/* A command frame's fields; a missing text is "", a missing number -1. */
typedef struct {
    const char *id;
    const char *workspace_id;
    const char *device_id;
    const char *cmd;
    int64_t duration_ms;
    int64_t expires_at;
} le_command;

/* The ack to publish: status "done", "rejected" or "expired"; detail NULL or a reason. */
typedef struct {
    const char *status;
    const char *detail;
} le_verdict;

/* Boot: everything off, nothing remembered, kill switch released. */
void le_init(le_board *board);
/* Decides a command and, when it runs, switches its output on.
 * wall_ms: the NTP clock (ms since 1970); now_ms: the monotonic millis(). */
le_verdict le_run(le_board *board, const le_command *command, int64_t wall_ms, uint32_t now_ms);
/* A kill frame: engaged switches everything off and refuses commands until released. */
void le_kill(le_board *board, int engaged);
/* The broker connection is gone (or not yet made): no contact, no motion. */
void le_connection_lost(le_board *board);
/* Call often: switches off the outputs whose duration ended. */
void le_tick(le_board *board, uint32_t now_ms);
/* Everything off. */
void le_all_off(le_board *board);

#ifdef __cplusplus
}
#endif

#endif
