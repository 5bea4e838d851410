/* Host syntax-check declarations (see Arduino.h). */
#pragma once
#include "Arduino.h"
class WiFiClientSecure {
 public:
  void setCACert(const char *pem);
  void setCertificate(const char *pem);
  void setPrivateKey(const char *pem);
  int setNoDelay(bool on);
};
