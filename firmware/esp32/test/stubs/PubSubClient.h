/* Host syntax-check declarations of PubSubClient 2.8 (see Arduino.h). */
#pragma once
#include "WiFiClientSecure.h"
class PubSubClient {
 public:
  explicit PubSubClient(WiFiClientSecure &client);
  bool connected();
  bool connect(const char *id, const char *user, const char *pass, const char *will_topic,
               uint8_t will_qos, bool will_retain, const char *will_message);
  bool subscribe(const char *topic, uint8_t qos);
  bool publish(const char *topic, const char *payload, bool retained);
  bool publish(const char *topic, const uint8_t *payload, unsigned int length, bool retained);
  bool loop();
  PubSubClient &setServer(const char *host, uint16_t port);
  PubSubClient &setKeepAlive(uint16_t seconds);
  bool setBufferSize(uint16_t size);
  PubSubClient &setCallback(void (*callback)(char *, uint8_t *, unsigned int));
};
