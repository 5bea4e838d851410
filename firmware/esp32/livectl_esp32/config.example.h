/*
 * Copy to config.h and fill in. Every value comes from livectl:
 *   POST /api/v1/workspaces/{ws}/devices            -> DEVICE_ID, AGENT_TOKEN
 *   POST /api/v1/workspaces/{ws}/devices/{id}/credentials
 *        -> ca_pem, cert_pem, key_pem, tenant, mqtt_tls_url (mqtts://HOST:PORT)
 * config.h holds secrets: keep it out of version control.
 */
#pragma once

#define WIFI_SSID "your-wifi"
#define WIFI_PASSWORD "your-wifi-password"

#define MQTT_HOST "live.example.com" /* the host of mqtt_tls_url */
#define MQTT_PORT 8883

#define WORKSPACE_ID "ws_..."
#define TENANT "ws..." /* the workspace id without the '_' */
#define DEVICE_ID "dev_..."
#define AGENT_TOKEN "lat_..."
#define MAX_DURATION_MS 5000 /* the device's max_duration_ms */
#define COMMAND_TTL_MS 2000  /* the server's commands.ttl_ms */
#define CLOCK_SKEW_MS 1000   /* how far this clock may be behind the server's */

static const char CA_PEM[] = R"PEM(
-----BEGIN CERTIFICATE-----
...ca_pem...
-----END CERTIFICATE-----
)PEM";

static const char CERT_PEM[] = R"PEM(
-----BEGIN CERTIFICATE-----
...cert_pem...
-----END CERTIFICATE-----
)PEM";

static const char KEY_PEM[] = R"PEM(
-----BEGIN PRIVATE KEY-----
...key_pem...
-----END PRIVATE KEY-----
)PEM";
