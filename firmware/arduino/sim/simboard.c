/*
 * simboard: runs the reference firmware's ELF in simavr (an emulated ATmega328P
 * at 16 MHz) with UART0 on a pseudo-terminal, paced to wall-clock time so that
 * millis(), durations and the 3 s dead-man behave as on a real board.
 *
 *   simboard build/livectl_board.elf /tmp/x/board-tty
 *
 * The second argument becomes a symlink to the pty; the agent opens it. Like a
 * real Uno (whose DTR line resets it), the core is reset each time the port is
 * opened, so the agent always hears HELLO. "READY <path>" is printed once the
 * pty exists.
 */
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "avr_ioport.h"
#include "avr_uart.h"
#include "sim_avr.h"
#include "sim_elf.h"
#include "sim_irq.h"

static int master = -1;
static volatile int uart_ready; /* the AVR's receive fifo has room (XON) */

static void on_byte_out(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq;
    (void)param;
    uint8_t b = (uint8_t)value;
    if (write(master, &b, 1) < 0) {
        /* Nobody listening: the byte is lost, as on a real wire. */
    }
}

static void on_xon(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq;
    (void)value;
    (void)param;
    uart_ready = 1;
}

static void on_xoff(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq;
    (void)value;
    (void)param;
    uart_ready = 0;
}

static avr_t *avr;
/* Every output pin change, as "PIN <arduino pin> <0|1> <ms since reset>". */
static void on_pin(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)irq;
    int pin = (int)(intptr_t)param;
    double ms = (double)avr->cycle / (double)avr->frequency * 1000.0;
    printf("PIN %d %u %.1f\n", pin, value ? 1u : 0u, ms);
    fflush(stdout);
}

static double wall_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* True while some process holds the pty's other end open. */
static int port_open(void) {
    struct pollfd p = {.fd = master, .events = 0};
    return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP);
}

int main(int argc, char **argv) {
    static elf_firmware_t firmware;
    int slave;
    char name[128];
    if (argc != 3) {
        fprintf(stderr, "usage: %s firmware.elf PTY_LINK\n", argv[0]);
        return 2;
    }
    if (elf_read_firmware(argv[1], &firmware) != 0) {
        fprintf(stderr, "simboard: cannot read %s\n", argv[1]);
        return 1;
    }
    if (openpty(&master, &slave, name, NULL, NULL) != 0) {
        perror("simboard: openpty");
        return 1;
    }
    struct termios raw;
    tcgetattr(slave, &raw);
    cfmakeraw(&raw);
    tcsetattr(slave, TCSANOW, &raw);
    close(slave);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    unlink(argv[2]);
    if (symlink(name, argv[2]) != 0) {
        perror("simboard: symlink");
        return 1;
    }

    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) {
        fprintf(stderr, "simboard: no atmega328p core in this simavr\n");
        return 1;
    }
    avr_init(avr);
    avr->frequency = 16000000;
    avr->log = LOG_WARNING;
    avr_load_firmware(avr, &firmware);
    uint32_t flags = 0;
    avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)AVR_UART_FLAG_STDIO;
    avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    avr_irq_t *uart = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), 0);
    avr_irq_register_notify(uart + UART_IRQ_OUTPUT, on_byte_out, NULL);
    avr_irq_register_notify(uart + UART_IRQ_OUT_XON, on_xon, NULL);
    avr_irq_register_notify(uart + UART_IRQ_OUT_XOFF, on_xoff, NULL);
    for (int bit = 0; bit < 8; bit++) {
        avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('D'), bit), on_pin,
                                (void *)(intptr_t)bit);
        if (bit < 6) {
            avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ('B'), bit), on_pin,
                                    (void *)(intptr_t)(bit + 8));
        }
    }
    printf("READY %s\n", name);
    fflush(stdout);

    int was_open = 0;
    double closed_since = wall_seconds();
    double start = wall_seconds();
    avr_cycle_count_t at_start = 0, next_check = 0;
    for (;;) {
        if (avr->cycle >= next_check) {
            next_check = avr->cycle + 1600; /* every simulated 100 us */
            int open_now = port_open();
            if (open_now && !was_open && wall_seconds() - closed_since > 0.05) {
                /* The agent opened the port: DTR resets the board. A port closed and
                 * reopened within 50 ms (a driver's own open sequence) does not. */
                avr_reset(avr);
                uart_ready = 1;
                at_start = avr->cycle;
                next_check = avr->cycle + 1600;
                start = wall_seconds();
            }
            if (!open_now && was_open) {
                closed_since = wall_seconds();
            }
            if (!open_now && !was_open && avr->cycle == 0) {
                /* Not started yet: the first open boots the board. */
                usleep(2000);
                continue;
            }
            was_open = open_now;
            /* The board runs on when the port closes (agent gone, cable still in). */
            uint8_t b;
            if (open_now && uart_ready && read(master, &b, 1) == 1) {
                avr_raise_irq(uart + UART_IRQ_INPUT, b);
            }
            /* Keep simulated time at wall time: sleep whenever the core runs ahead. */
            double simulated = (double)(avr->cycle - at_start) / (double)avr->frequency;
            double ahead = simulated - (wall_seconds() - start);
            if (ahead > 0.0005) {
                usleep((useconds_t)(ahead * 1e6));
            }
        }
        int state = avr_run(avr);
        if (state == cpu_Done || state == cpu_Crashed) {
            fprintf(stderr, "simboard: the firmware stopped (state %d)\n", state);
            return 1;
        }
    }
}
