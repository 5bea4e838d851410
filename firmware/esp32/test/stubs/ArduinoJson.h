/* Host syntax-check declarations of the ArduinoJson 7 calls the sketch makes
 * (see Arduino.h). */
#pragma once
#include "Arduino.h"
class JsonVariant {
 public:
  JsonVariant &operator=(const char *text);
  JsonVariant &operator=(decltype(nullptr));
  const char *operator|(const char *fallback) const;
  bool operator|(bool fallback) const;
  int64_t operator|(int64_t fallback) const;
};
class JsonDocument {
 public:
  JsonVariant operator[](const char *key);
};
struct DeserializationError {
  explicit operator bool() const;
};
DeserializationError deserializeJson(JsonDocument &doc, const uint8_t *input, size_t length);
size_t serializeJson(const JsonDocument &doc, char *output, size_t size);
