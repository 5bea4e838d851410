/* Host syntax-check declarations (see Arduino.h). */
#pragma once
#include "Arduino.h"
#define WL_CONNECTED 3
#define WIFI_STA 1
struct WiFiClass {
  void mode(int mode);
  int begin(const char *ssid, const char *password);
  int status();
};
extern WiFiClass WiFi;
