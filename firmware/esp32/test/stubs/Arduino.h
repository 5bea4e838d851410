/* Declarations of the Arduino-ESP32 API the sketch uses, for a host syntax
 * check only (firmware/esp32/Makefile `check-sketch`): never linked or run. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t byte;
#define HIGH 1
#define LOW 0
#define OUTPUT 3
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t value);
uint32_t millis();
void delay(uint32_t ms);
void configTime(long gmt_offset, int dst_offset, const char *server1, const char *server2);

class String {
 public:
  String(const char *text = "");
  String operator+(const char *text) const;
  String operator+(const String &other) const;
  bool operator==(const char *text) const;
  bool operator!=(const char *text) const;
  const char *c_str() const;
};

struct HardwareSerial {
  void begin(unsigned long baud);
};
extern HardwareSerial Serial;
