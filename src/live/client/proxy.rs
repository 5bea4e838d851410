//! The optional proxy between livectl and TikTok (`tiktok.proxy`): HTTP calls go through it by
//! reqwest's own support; the push socket goes through a tunnel opened here, with HTTP
//! `CONNECT` or SOCKS5, and then speaks TLS and WebSocket inside it as if directly connected.

use base64::Engine as _;
use reqwest::Url;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::ConnectError;

/// A proxy setting, checked: `http://`, `socks5://` or `socks5h://`, with a host and a port.
pub fn parse(proxy: &str) -> Result<Url, String> {
    let url = Url::parse(proxy).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "socks5" | "socks5h") {
        return Err("the scheme must be http, socks5 or socks5h".into());
    }
    if url.host_str().is_none() || url.port_or_known_default().is_none() {
        return Err("a host and a port are needed".into());
    }
    Ok(url)
}

fn failed(what: impl std::fmt::Display) -> ConnectError {
    ConnectError::Network(format!("proxy: {what}"))
}

/// A TCP stream to `host:port` through the proxy.
pub async fn tunnel(proxy: &str, host: &str, port: u16) -> Result<TcpStream, ConnectError> {
    let url = parse(proxy).map_err(failed)?;
    let proxy_host = url.host_str().unwrap_or_default();
    let proxy_port = url.port_or_known_default().unwrap_or(1080);
    let user = percent(url.username());
    let password = url.password().map(percent).unwrap_or_default();
    if url.scheme() == "http" {
        let mut stream = TcpStream::connect((proxy_host, proxy_port))
            .await
            .map_err(failed)?;
        let mut head = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
        if !user.is_empty() {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            head.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.map_err(failed)?;
        // The answer's head, byte by byte: nothing of the tunnel may be read past it.
        let mut answer = Vec::new();
        while !answer.ends_with(b"\r\n\r\n") {
            if answer.len() > 8192 {
                return Err(failed("an endless answer to CONNECT"));
            }
            let byte = stream.read_u8().await.map_err(failed)?;
            answer.push(byte);
        }
        let status = String::from_utf8_lossy(&answer);
        let ok = status
            .split_whitespace()
            .nth(1)
            .is_some_and(|code| code == "200");
        if !ok {
            let line = status.lines().next().unwrap_or_default().to_owned();
            return Err(failed(format!("CONNECT refused: {line}")));
        }
        return Ok(stream);
    }
    let target = (host, port);
    let socks = if user.is_empty() {
        tokio_socks::tcp::Socks5Stream::connect((proxy_host, proxy_port), target).await
    } else {
        tokio_socks::tcp::Socks5Stream::connect_with_password(
            (proxy_host, proxy_port),
            target,
            &user,
            &password,
        )
        .await
    };
    Ok(socks.map_err(failed)?.into_inner())
}

/// A URL's user or password, percent-decoded.
fn percent(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes
            .get(at + 1..at + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_are_checked_and_credentials_decoded() {
        assert!(parse("http://127.0.0.1:3128").is_ok());
        assert!(parse("socks5://u:p@proxy.example:1080").is_ok());
        assert!(parse("ftp://proxy:21").is_err());
        assert!(parse("not a url").is_err());
        assert_eq!(percent("p%40ss%3Aword"), "p@ss:word");
        assert_eq!(percent("100%"), "100%");
    }
}
