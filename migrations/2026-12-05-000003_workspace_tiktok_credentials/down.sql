DROP TABLE tiktok_credentials;
