/*
 * livectl reference firmware for Arduino Uno / Nano (ATmega328P).
 * Open this folder in the Arduino IDE, pick the board and port, Upload.
 * Edit the command -> pin table in livectl_outputs.c.
 *
 * The protocol logic lives in livectl_core.c (shared with the plain AVR C
 * build in avr_main.c); this file only connects it to the Arduino core.
 */
#include <avr/wdt.h>

#include "livectl_core.h"

extern "C" void hal_write(const char *text) { Serial.print(text); }

extern "C" void hal_output(uint8_t pin, uint8_t on) { digitalWrite(pin, on ? HIGH : LOW); }

void setup() {
  for (uint8_t i = 0; i < LC_OUTPUT_COUNT; i++) {
    pinMode(LC_OUTPUTS[i].pin, OUTPUT);
    digitalWrite(LC_OUTPUTS[i].pin, LOW);
  }
  Serial.begin(115200);
  wdt_enable(WDTO_1S);  /* a hung sketch resets, and boots with everything off */
  lc_init(millis());
}

void loop() {
  wdt_reset();
  while (Serial.available() > 0) {
    lc_feed((char)Serial.read(), millis());
  }
  lc_tick(millis());
}
