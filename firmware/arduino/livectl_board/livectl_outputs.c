/*
 * The one table to edit: which command drives which pin. Names must match the
 * device's allowed_commands in livectl (letters, digits, '_', upper case).
 * Pins are Arduino Uno / Nano pin numbers (0-7 = PORTD, 8-13 = PORTB).
 */
#include "livectl_core.h"

const lc_output LC_OUTPUTS[] = {
    {"LED_ON", 13},     /* the on-board LED */
    {"RELAY_ON", 7},    /* a relay module's IN pin */
    {"MOTOR_SPIN", 9},  /* a motor driver's enable / a MOSFET gate */
    {"BUZZER", 8},
};

const uint8_t LC_OUTPUT_COUNT = sizeof(LC_OUTPUTS) / sizeof(LC_OUTPUTS[0]);
