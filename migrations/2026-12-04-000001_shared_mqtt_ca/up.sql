-- The MQTT device CA, one per installation: every node's broker trusts the certificates any
-- node issues. One row (id = 1).
CREATE TABLE mqtt_ca (
    id INTEGER PRIMARY KEY NOT NULL,
    cert_pem TEXT NOT NULL,
    key_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
