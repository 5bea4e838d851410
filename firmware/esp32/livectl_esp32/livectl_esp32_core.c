/* The ESP32 board's decisions: see livectl_esp32_core.h. */
#include "livectl_esp32_core.h"

#include <string.h>

static le_verdict verdict(const char *status, const char *detail) {
    le_verdict v;
    v.status = status;
    v.detail = detail;
    return v;
}

static void switch_output(le_board *board, le_output *out, uint8_t on) {
    out->on = on;
    board->write_pin(out->pin, on);
}

void le_all_off(le_board *board) {
    for (size_t i = 0; i < board->output_count; i++) {
        switch_output(board, &board->outputs[i], 0);
    }
}

void le_init(le_board *board) {
    board->killed = 0;
    board->seen_next = 0;
    memset(board->seen, 0, sizeof(board->seen));
    le_all_off(board);
}

/* Remembers the id; true if it was already there. */
static int seen_before(le_board *board, const char *id) {
    for (size_t i = 0; i < LE_SEEN_IDS; i++) {
        if (board->seen[i][0] != '\0' && strcmp(board->seen[i], id) == 0) {
            return 1;
        }
    }
    strncpy(board->seen[board->seen_next], id, LE_MAX_ID);
    board->seen[board->seen_next][LE_MAX_ID] = '\0';
    board->seen_next = (board->seen_next + 1) % LE_SEEN_IDS;
    return 0;
}

le_verdict le_run(le_board *board, const le_command *c, int64_t wall_ms, uint32_t now_ms) {
    if (strcmp(c->workspace_id, board->workspace_id) != 0) {
        return verdict("rejected", "wrong workspace");
    }
    if (strcmp(c->device_id, board->device_id) != 0) {
        return verdict("rejected", "wrong device");
    }
    if (c->duration_ms < 0 || c->duration_ms > board->max_duration_ms) {
        return verdict("rejected", "duration over the maximum");
    }
    if (wall_ms <= LE_SYNCED_AFTER_MS) {
        return verdict("rejected", "clock not synced (NTP)");
    }
    if (wall_ms >= c->expires_at) {
        return verdict("expired", "arrived after expires_at");
    }
    if (c->expires_at - wall_ms > board->command_ttl_ms + board->clock_skew_ms) {
        return verdict("rejected", "expires_at too far ahead");
    }
    /* An empty or oversize id cannot be remembered, so it could be replayed. */
    if (c->id[0] == '\0' || strlen(c->id) > LE_MAX_ID) {
        return verdict("rejected", "malformed command id");
    }
    if (seen_before(board, c->id)) {
        return verdict("rejected", "replayed command id");
    }
    if (board->killed) {
        return verdict("rejected", "kill switch engaged");
    }
    for (size_t i = 0; i < board->output_count; i++) {
        le_output *out = &board->outputs[i];
        if (strcmp(out->name, c->cmd) == 0) {
            out->started_ms = now_ms;
            out->run_for_ms = (uint32_t)c->duration_ms;
            switch_output(board, out, 1);
            return verdict("done", NULL);
        }
    }
    return verdict("rejected", "command not allowed on this device");
}

void le_kill(le_board *board, int engaged) {
    board->killed = engaged ? 1 : 0;
    if (board->killed) {
        le_all_off(board);
    }
}

void le_connection_lost(le_board *board) { le_all_off(board); }

void le_tick(le_board *board, uint32_t now_ms) {
    for (size_t i = 0; i < board->output_count; i++) {
        le_output *out = &board->outputs[i];
        /* Unsigned subtraction: right across millis() wrapping after 49 days. */
        if (out->on && (uint32_t)(now_ms - out->started_ms) >= out->run_for_ms) {
            switch_output(board, out, 0);
        }
    }
}
