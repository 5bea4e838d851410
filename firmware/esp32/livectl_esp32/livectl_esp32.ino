/*
 * livectl reference firmware for the ESP32: connects straight to livectl's
 * embedded MQTT broker over TLS with the device certificate livectl issued
 * (POST /workspaces/{ws}/devices/{id}/credentials), runs commands on GPIO
 * outputs for their duration, and acknowledges each one (protocols.md §3, §6).
 *
 * Libraries (Arduino Library Manager): PubSubClient (Nick O'Leary) >= 2.8,
 * ArduinoJson (Benoit Blanchon) >= 7. Board: "ESP32 Dev Module" (esp32 core >= 2).
 * Fill in config.h (copy config.example.h) and upload.
 *
 * Safety, as on the Arduino board:
 *  - every output switches off by itself when its duration ends;
 *  - everything switches off when the broker connection is lost, on a kill
 *    frame, and at boot;
 *  - a command runs at most once (its id is remembered), never after its
 *    expires_at (the clock comes from NTP; without a synced clock every
 *    command is refused), never beyond MAX_DURATION_MS, and only if its
 *    workspace, device and name are this device's own;
 *  - a command whose expires_at lies further ahead than the server's command
 *    TTL plus the allowed clock skew is refused: a real command never does,
 *    so it was made up or replayed from a recording.
 */
#include <ArduinoJson.h>
#include <PubSubClient.h>
#include <WiFi.h>
#include <WiFiClientSecure.h>
#include <time.h>

#include "config.h"

#ifndef COMMAND_TTL_MS
#define COMMAND_TTL_MS 2000 /* the server's commands.ttl_ms */
#endif
#ifndef CLOCK_SKEW_MS
#define CLOCK_SKEW_MS 1000 /* how far this clock may be behind the server's */
#endif

struct Output {
  const char *name;
  uint8_t pin;
  bool on;
  uint32_t started;
  uint32_t runFor;
};

/* The one table to edit: command name -> GPIO. */
Output outputs[] = {
    {"RELAY_ON", 26, false, 0, 0},
    {"LED_ON", 2, false, 0, 0},
    {"MOTOR_SPIN", 27, false, 0, 0},
};
const size_t OUTPUT_COUNT = sizeof(outputs) / sizeof(outputs[0]);

WiFiClientSecure tls;
PubSubClient mqtt(tls);
bool killed = false;
String seen[32];
size_t seenNext = 0;
String topicCmd, topicAck, topicStatus;

void allOff() {
  for (size_t i = 0; i < OUTPUT_COUNT; i++) {
    outputs[i].on = false;
    digitalWrite(outputs[i].pin, LOW);
  }
}

int64_t nowMs() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

bool clockSynced() { return time(nullptr) > 1700000000; }

bool seenBefore(const char *id) {
  for (size_t i = 0; i < 32; i++) {
    if (seen[i] == id) return true;
  }
  seen[seenNext] = id;
  seenNext = (seenNext + 1) % 32;
  return false;
}

void ack(const char *id, const char *status, const char *detail) {
  JsonDocument doc;
  doc["type"] = "ack";
  doc["id"] = id;
  doc["status"] = status;
  if (detail) doc["detail"] = detail; else doc["detail"] = nullptr;
  char buf[256];
  size_t n = serializeJson(doc, buf, sizeof(buf));
  mqtt.publish(topicAck.c_str(), (const uint8_t *)buf, n, false);
}

void onCommand(JsonDocument &doc) {
  const char *id = doc["id"] | "";
  const char *cmd = doc["cmd"] | "";
  int64_t duration = doc["duration_ms"] | -1;
  int64_t expiresAt = doc["expires_at"] | 0;
  if (strcmp(doc["workspace_id"] | "", WORKSPACE_ID) != 0) return ack(id, "rejected", "wrong workspace");
  if (strcmp(doc["device_id"] | "", DEVICE_ID) != 0) return ack(id, "rejected", "wrong device");
  if (duration < 0 || duration > MAX_DURATION_MS) return ack(id, "rejected", "duration over the maximum");
  if (!clockSynced()) return ack(id, "rejected", "clock not synced (NTP)");
  if (nowMs() >= expiresAt) return ack(id, "expired", "arrived after expires_at");
  if (expiresAt - nowMs() > COMMAND_TTL_MS + CLOCK_SKEW_MS) return ack(id, "rejected", "expires_at too far ahead");
  if (seenBefore(id)) return ack(id, "rejected", "replayed command id");
  if (killed) return ack(id, "rejected", "kill switch engaged");
  for (size_t i = 0; i < OUTPUT_COUNT; i++) {
    if (strcmp(outputs[i].name, cmd) == 0) {
      outputs[i].on = true;
      outputs[i].started = millis();
      outputs[i].runFor = (uint32_t)duration;
      digitalWrite(outputs[i].pin, HIGH);
      return ack(id, "done", nullptr);
    }
  }
  ack(id, "rejected", "command not allowed on this device");
}

void onMessage(char *topic, byte *payload, unsigned int length) {
  if (topicCmd != topic) return;
  JsonDocument doc;
  if (deserializeJson(doc, payload, length)) return;
  const char *type = doc["type"] | "";
  if (strcmp(type, "kill") == 0) {
    killed = doc["engaged"] | true;
    if (killed) allOff();
  } else if (strcmp(type, "command") == 0) {
    onCommand(doc);
  }
}

void connectMqtt() {
  while (!mqtt.connected()) {
    allOff();  /* no contact, no motion */
    if (WiFi.status() != WL_CONNECTED) {
      WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
      delay(500);
      continue;
    }
    /* Client id = device id, username = device id, password = agent token;
     * last will: retained "offline" on the status topic. */
    if (mqtt.connect(DEVICE_ID, DEVICE_ID, AGENT_TOKEN, topicStatus.c_str(), 1, true, "offline")) {
      mqtt.subscribe(topicCmd.c_str(), 1);
      mqtt.publish(topicStatus.c_str(), "online", true);
    } else {
      /* livectl's broker sends no CONNACK on a bad token: this is all we see. */
      delay(2000);
    }
  }
}

void setup() {
  for (size_t i = 0; i < OUTPUT_COUNT; i++) {
    pinMode(outputs[i].pin, OUTPUT);
  }
  allOff();
  Serial.begin(115200);
  String base = String("/tenants/") + TENANT + "/devices/" + DEVICE_ID + "/";
  topicCmd = base + "cmd";
  topicAck = base + "ack";
  topicStatus = base + "status";
  WiFi.mode(WIFI_STA);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  configTime(0, 0, "pool.ntp.org", "time.nist.gov");
  tls.setCACert(CA_PEM);
  tls.setCertificate(CERT_PEM);
  tls.setPrivateKey(KEY_PEM);
  tls.setNoDelay(true);  /* no Nagle: an ack must not wait for the previous packet's ACK */
  mqtt.setServer(MQTT_HOST, MQTT_PORT);
  mqtt.setKeepAlive(10);  /* the broker refuses keep-alive 0 */
  mqtt.setBufferSize(1024);
  mqtt.setCallback(onMessage);
}

void loop() {
  connectMqtt();
  mqtt.loop();
  uint32_t now = millis();
  for (size_t i = 0; i < OUTPUT_COUNT; i++) {
    if (outputs[i].on && now - outputs[i].started >= outputs[i].runFor) {
      outputs[i].on = false;
      digitalWrite(outputs[i].pin, LOW);
    }
  }
}
