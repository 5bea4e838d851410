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
 *
 * Those decisions live in livectl_esp32_core.c (portable C, unit-tested on the
 * host by firmware/esp32/test); this file only wires them to WiFi, MQTT, JSON
 * and the GPIO pins.
 */
#include <ArduinoJson.h>
#include <PubSubClient.h>
#include <WiFi.h>
#include <WiFiClientSecure.h>
#include <sys/time.h>

#include "config.h"
#include "livectl_esp32_core.h"

#ifndef COMMAND_TTL_MS
#define COMMAND_TTL_MS 2000 /* the server's commands.ttl_ms */
#endif
#ifndef CLOCK_SKEW_MS
#define CLOCK_SKEW_MS 1000 /* how far this clock may be behind the server's */
#endif

/* The one table to edit: command name -> GPIO. */
le_output outputs[] = {
    {"RELAY_ON", 26, 0, 0, 0},
    {"LED_ON", 2, 0, 0, 0},
    {"MOTOR_SPIN", 27, 0, 0, 0},
};

void writePin(uint8_t pin, uint8_t on) { digitalWrite(pin, on ? HIGH : LOW); }

le_board board = {
    WORKSPACE_ID, DEVICE_ID, MAX_DURATION_MS, COMMAND_TTL_MS, CLOCK_SKEW_MS,
    outputs, sizeof(outputs) / sizeof(outputs[0]), writePin, 0, {{0}}, 0,
};

WiFiClientSecure tls;
PubSubClient mqtt(tls);
String topicCmd, topicAck, topicStatus;

int64_t wallMs() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void ack(const char *id, le_verdict v) {
  JsonDocument doc;
  doc["type"] = "ack";
  doc["id"] = id;
  doc["status"] = v.status;
  if (v.detail) doc["detail"] = v.detail; else doc["detail"] = nullptr;
  char buf[256];
  size_t n = serializeJson(doc, buf, sizeof(buf));
  mqtt.publish(topicAck.c_str(), (const uint8_t *)buf, n, false);
}

void onMessage(char *topic, byte *payload, unsigned int length) {
  if (topicCmd != topic) return;
  JsonDocument doc;
  if (deserializeJson(doc, payload, length)) return;
  const char *type = doc["type"] | "";
  if (strcmp(type, "kill") == 0) {
    le_kill(&board, doc["engaged"] | true);
  } else if (strcmp(type, "command") == 0) {
    le_command command;
    command.id = doc["id"] | "";
    command.workspace_id = doc["workspace_id"] | "";
    command.device_id = doc["device_id"] | "";
    command.cmd = doc["cmd"] | "";
    command.duration_ms = doc["duration_ms"] | (int64_t)-1;
    command.expires_at = doc["expires_at"] | (int64_t)0;
    ack(command.id, le_run(&board, &command, wallMs(), millis()));
  }
}

void connectMqtt() {
  while (!mqtt.connected()) {
    le_connection_lost(&board); /* no contact, no motion */
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
  for (size_t i = 0; i < board.output_count; i++) {
    pinMode(outputs[i].pin, OUTPUT);
  }
  le_init(&board);
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
  le_tick(&board, millis());
}
