/*
 * livectl reference firmware: the board side of the serial line protocol
 * (protocols.md §5). Portable C with no Arduino dependency, so the same logic
 * builds as an Arduino sketch (livectl_board.ino) and as plain AVR C
 * (avr_main.c, built by scripts/test with Debian's gcc-avr).
 *
 *   board -> agent   HELLO <firmware> <version> cmds=A,B,C
 *   agent -> board   CMD <seq> <NAME> <duration_ms>[ key=value...]
 *   board -> agent   OK <seq>  |  ERR <seq> <reason>
 *   agent -> board   PING <seq>  ->  PONG <seq>
 *   agent -> board   STOP       (everything off at once)
 *
 * The board times every duration itself and switches the output off on its
 * own. If it hears no line for LC_DEADMAN_MS it switches everything off.
 */
#ifndef LIVECTL_CORE_H
#define LIVECTL_CORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LC_FIRMWARE "livectl-uno"
#define LC_VERSION "1.0"
#define LC_DEADMAN_MS 3000UL
/* The longest duration a command may ask for (the server's own ceiling). */
#define LC_MAX_DURATION_MS 600000UL
/* The agent never sends more (protocol::serial::MAX_LINE). */
#define LC_MAX_LINE 128

/* One output: a command name and the Arduino pin it drives. */
typedef struct {
    const char *name;
    uint8_t pin;
} lc_output;

/* The command table, defined once in livectl_outputs.c. */
extern const lc_output LC_OUTPUTS[];
extern const uint8_t LC_OUTPUT_COUNT;

/* What the hardware layer provides. */
void hal_write(const char *text);       /* bytes to the serial port */
void hal_output(uint8_t pin, uint8_t on); /* drive one output pin */

/* Boot: every output off, then HELLO. */
void lc_init(uint32_t now_ms);
/* One received byte. */
void lc_feed(char c, uint32_t now_ms);
/* Call often: ends durations, runs the dead-man. */
void lc_tick(uint32_t now_ms);
/* Everything off. */
void lc_all_off(void);

#ifdef __cplusplus
}
#endif

#endif
