DROP TABLE mqtt_ca;
