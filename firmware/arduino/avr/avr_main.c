/*
 * The same firmware as plain AVR C for the ATmega328P at 16 MHz (Uno, Nano):
 * UART0 at 115200 8N1, Timer0 as the millisecond clock, the watchdog on.
 * Build: make -C firmware/arduino (Debian: gcc-avr, avr-libc).
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>
#include <util/atomic.h>

#include "livectl_core.h"

#ifndef F_CPU
#define F_CPU 16000000UL
#endif
#define BAUD 115200UL

static volatile uint32_t millis_count;
static volatile char rx_ring[64];
static volatile uint8_t rx_head, rx_tail;

ISR(TIMER0_COMPA_vect) { millis_count++; }

ISR(USART_RX_vect) {
    char c = UDR0;
    uint8_t next = (uint8_t)((rx_head + 1) & 63);
    if (next != rx_tail) { /* full: the byte is dropped, the line will be refused */
        rx_ring[rx_head] = c;
        rx_head = next;
    }
}

static uint32_t now_ms(void) {
    uint32_t v;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { v = millis_count; }
    return v;
}

void hal_write(const char *text) {
    for (; *text; text++) {
        while (!(UCSR0A & (1 << UDRE0))) {
        }
        UDR0 = (uint8_t)*text;
    }
}

/* Arduino pin numbers: 0-7 on PORTD, 8-13 on PORTB. */
void hal_output(uint8_t pin, uint8_t on) {
    volatile uint8_t *port = pin < 8 ? &PORTD : &PORTB;
    volatile uint8_t *ddr = pin < 8 ? &DDRD : &DDRB;
    uint8_t bit = (uint8_t)(1 << (pin < 8 ? pin : pin - 8));
    *ddr |= bit;
    if (on) {
        *port |= bit;
    } else {
        *port &= (uint8_t)~bit;
    }
}

int main(void) {
    uint16_t ubrr = (uint16_t)((F_CPU / (8UL * BAUD)) - 1); /* double speed: 2.1 % error */
    MCUSR = 0;
    wdt_enable(WDTO_1S);
    UBRR0H = (uint8_t)(ubrr >> 8);
    UBRR0L = (uint8_t)ubrr;
    UCSR0A = (1 << U2X0);
    UCSR0B = (1 << RXEN0) | (1 << TXEN0) | (1 << RXCIE0);
    UCSR0C = (1 << UCSZ01) | (1 << UCSZ00);
    /* Timer0, CTC, /64 prescaler, 250 ticks = 1 ms. */
    TCCR0A = (1 << WGM01);
    TCCR0B = (1 << CS01) | (1 << CS00);
    OCR0A = 249;
    TIMSK0 = (1 << OCIE0A);
    sei();
    lc_init(now_ms());
    for (;;) {
        wdt_reset();
        while (rx_tail != rx_head) {
            char c = rx_ring[rx_tail];
            rx_tail = (uint8_t)((rx_tail + 1) & 63);
            lc_feed(c, now_ms());
        }
        lc_tick(now_ms());
    }
}
