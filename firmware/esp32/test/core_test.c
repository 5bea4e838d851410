/*
 * Host unit tests of the ESP32 board's decisions (livectl_esp32_core.c):
 * identity, limits, expiry, replay, kill switch, durations and the stop on a
 * lost connection. `make -C firmware/esp32 test` builds and runs them with the
 * host's cc; scripts/test does it on every run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livectl_esp32_core.h"

static int failures = 0;
#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: %s: failed: %s\n", __FILE__, __LINE__, __func__, #cond); \
            failures++;                                                           \
        }                                                                         \
    } while (0)

/* The pins as the board's hardware would see them. */
static uint8_t pins[64];
static int writes = 0;
static void write_pin(uint8_t pin, uint8_t on) {
    pins[pin] = on;
    writes++;
}

static le_output outputs[2];
static le_board board;

/* NTP time well after LE_SYNCED_AFTER_MS. */
#define NOW_WALL 1800000000000LL
#define TTL 2000
#define SKEW 1000

static void fresh_board(void) {
    memset(pins, 0xff, sizeof(pins)); /* unknown at power-up: init must switch them off */
    writes = 0;
    outputs[0] = (le_output){"LED_ON", 2, 0, 0, 0};
    outputs[1] = (le_output){"MOTOR_SPIN", 27, 0, 0, 0};
    memset(&board, 0, sizeof(board));
    board.workspace_id = "ws_1";
    board.device_id = "dev_1";
    board.max_duration_ms = 5000;
    board.command_ttl_ms = TTL;
    board.clock_skew_ms = SKEW;
    board.outputs = outputs;
    board.output_count = 2;
    board.write_pin = write_pin;
    le_init(&board);
}

static le_command command(const char *id, const char *cmd, int64_t duration_ms) {
    le_command c;
    c.id = id;
    c.workspace_id = "ws_1";
    c.device_id = "dev_1";
    c.cmd = cmd;
    c.duration_ms = duration_ms;
    c.expires_at = NOW_WALL + TTL;
    return c;
}

static int is(le_verdict v, const char *status, const char *detail) {
    if (strcmp(v.status, status) != 0) return 0;
    if (detail == NULL) return v.detail == NULL;
    return v.detail != NULL && strcmp(v.detail, detail) == 0;
}

static void boot_switches_everything_off(void) {
    fresh_board();
    CHECK(pins[2] == 0 && pins[27] == 0);
    CHECK(!board.killed);
}

static void a_valid_command_runs_for_its_duration(void) {
    fresh_board();
    le_command c = command("cmd_1", "MOTOR_SPIN", 1000);
    CHECK(is(le_run(&board, &c, NOW_WALL, 100), "done", NULL));
    CHECK(pins[27] == 1 && pins[2] == 0);
    le_tick(&board, 1099);
    CHECK(pins[27] == 1);
    le_tick(&board, 1100);
    CHECK(pins[27] == 0);
}

static void durations_end_across_millis_wrapping(void) {
    fresh_board();
    le_command c = command("cmd_wrap", "LED_ON", 500);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0xFFFFFF00u), "done", NULL));
    le_tick(&board, 0x00000010u); /* 272 ms later, after the wrap */
    CHECK(pins[2] == 1);
    le_tick(&board, 0x00000100u); /* 512 ms later */
    CHECK(pins[2] == 0);
}

static void only_this_board_commands_run(void) {
    fresh_board();
    le_command c = command("cmd_1", "LED_ON", 100);
    c.workspace_id = "ws_2";
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "wrong workspace"));
    c = command("cmd_2", "LED_ON", 100);
    c.device_id = "dev_2";
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "wrong device"));
    c = command("cmd_3", "SELF_DESTRUCT", 100);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "command not allowed on this device"));
    CHECK(pins[2] == 0 && pins[27] == 0);
}

static void durations_stay_within_the_device_maximum(void) {
    fresh_board();
    le_command c = command("cmd_1", "LED_ON", 5001);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "duration over the maximum"));
    c = command("cmd_2", "LED_ON", -1); /* missing from the frame */
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "duration over the maximum"));
    c = command("cmd_3", "LED_ON", 5000);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "done", NULL));
}

static void a_command_is_never_late(void) {
    fresh_board();
    le_command c = command("cmd_1", "LED_ON", 100);
    c.expires_at = NOW_WALL;
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "expired", "arrived after expires_at"));
    c = command("cmd_2", "LED_ON", 100);
    c.expires_at = 0; /* missing from the frame */
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "expired", "arrived after expires_at"));
    CHECK(pins[2] == 0);
}

static void an_expiry_too_far_ahead_is_refused(void) {
    fresh_board();
    le_command c = command("cmd_1", "LED_ON", 100);
    c.expires_at = NOW_WALL + TTL + SKEW + 1;
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "expires_at too far ahead"));
    c = command("cmd_2", "LED_ON", 100);
    c.expires_at = NOW_WALL + TTL + SKEW;
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "done", NULL));
}

static void nothing_runs_without_a_synced_clock(void) {
    fresh_board();
    le_command c = command("cmd_1", "LED_ON", 100);
    c.expires_at = 5000;
    CHECK(is(le_run(&board, &c, 3000, 0), "rejected", "clock not synced (NTP)"));
    CHECK(pins[2] == 0);
}

static void a_command_runs_at_most_once(void) {
    fresh_board();
    le_command c = command("cmd_1", "LED_ON", 100);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "done", NULL));
    le_tick(&board, 200);
    CHECK(is(le_run(&board, &c, NOW_WALL, 300), "rejected", "replayed command id"));
    CHECK(pins[2] == 0);
}

static void the_last_ids_are_remembered_and_older_ones_forgotten(void) {
    fresh_board();
    char ids[LE_SEEN_IDS + 1][16];
    for (int i = 0; i <= LE_SEEN_IDS; i++) {
        snprintf(ids[i], sizeof(ids[i]), "cmd_%d", i);
        le_command c = command(ids[i], "LED_ON", 10);
        CHECK(is(le_run(&board, &c, NOW_WALL, 0), "done", NULL));
    }
    /* 33 ids into 32 slots: the newest 32 are refused again, the first was forgotten. */
    for (int i = 1; i <= LE_SEEN_IDS; i++) {
        le_command c = command(ids[i], "LED_ON", 10);
        CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "replayed command id"));
    }
}

static void malformed_ids_are_refused(void) {
    fresh_board();
    le_command c = command("", "LED_ON", 100);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "malformed command id"));
    char long_id[LE_MAX_ID + 2];
    memset(long_id, 'x', LE_MAX_ID + 1);
    long_id[LE_MAX_ID + 1] = '\0';
    c = command(long_id, "LED_ON", 100);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "malformed command id"));
    CHECK(pins[2] == 0);
}

static void the_kill_switch_stops_everything_and_refuses_until_released(void) {
    fresh_board();
    le_command c = command("cmd_1", "MOTOR_SPIN", 5000);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "done", NULL));
    CHECK(pins[27] == 1);
    le_kill(&board, 1);
    CHECK(pins[27] == 0);
    c = command("cmd_2", "MOTOR_SPIN", 100);
    CHECK(is(le_run(&board, &c, NOW_WALL, 10), "rejected", "kill switch engaged"));
    CHECK(pins[27] == 0);
    le_kill(&board, 0);
    c = command("cmd_3", "MOTOR_SPIN", 100);
    CHECK(is(le_run(&board, &c, NOW_WALL, 20), "done", NULL));
    CHECK(pins[27] == 1);
}

static void losing_the_broker_stops_everything(void) {
    fresh_board();
    le_command a = command("cmd_1", "MOTOR_SPIN", 5000);
    le_command b = command("cmd_2", "LED_ON", 5000);
    CHECK(is(le_run(&board, &a, NOW_WALL, 0), "done", NULL));
    CHECK(is(le_run(&board, &b, NOW_WALL, 0), "done", NULL));
    le_connection_lost(&board);
    CHECK(pins[27] == 0 && pins[2] == 0);
    CHECK(outputs[0].on == 0 && outputs[1].on == 0);
    /* A later tick must not switch anything back on. */
    le_tick(&board, 10);
    CHECK(pins[27] == 0 && pins[2] == 0);
}

static void checks_come_in_order_and_a_refusal_remembers_nothing(void) {
    fresh_board();
    /* A refused frame (wrong device) does not burn its id: the right one still runs. */
    le_command c = command("cmd_1", "LED_ON", 100);
    c.device_id = "dev_2";
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "rejected", "wrong device"));
    c = command("cmd_1", "LED_ON", 100);
    CHECK(is(le_run(&board, &c, NOW_WALL, 0), "done", NULL));
}

int main(void) {
    boot_switches_everything_off();
    a_valid_command_runs_for_its_duration();
    durations_end_across_millis_wrapping();
    only_this_board_commands_run();
    durations_stay_within_the_device_maximum();
    a_command_is_never_late();
    an_expiry_too_far_ahead_is_refused();
    nothing_runs_without_a_synced_clock();
    a_command_runs_at_most_once();
    the_last_ids_are_remembered_and_older_ones_forgotten();
    malformed_ids_are_refused();
    the_kill_switch_stops_everything_and_refuses_until_released();
    losing_the_broker_stops_everything();
    checks_come_in_order_and_a_refusal_remembers_nothing();
    if (failures) {
        fprintf(stderr, "esp32 core: %d check(s) failed\n", failures);
        return EXIT_FAILURE;
    }
    printf("esp32 core: 14 tests passed\n");
    return EXIT_SUCCESS;
}
