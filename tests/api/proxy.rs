//! Local proxies for the connector's proxy tests: an HTTP proxy (absolute-form requests and
//! `CONNECT` tunnels) and a SOCKS5 proxy (no authentication, `CONNECT` only). Each counts what
//! went through it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
pub struct Seen {
    /// HTTP requests forwarded (absolute-form).
    pub requests: AtomicU64,
    /// Tunnels opened (`CONNECT`, or SOCKS5 connects).
    pub tunnels: AtomicU64,
}

pub struct Proxy {
    pub url: String,
    pub seen: Arc<Seen>,
}

/// The head of an HTTP request, up to the blank line.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.ok()?);
        if head.len() > 65_536 {
            return None;
        }
    }
    String::from_utf8(head).ok()
}

async fn serve_http(mut client: TcpStream, seen: Arc<Seen>) -> Option<()> {
    let head = read_head(&mut client).await?;
    let first = head.lines().next()?.to_owned();
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?);
    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(target).await.ok()?;
        seen.tunnels.fetch_add(1, Ordering::SeqCst);
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await
            .ok()?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream)
            .await
            .ok()?;
        return Some(());
    }
    // GET http://host:port/path → to host:port, as GET /path (one request per connection).
    let url = url::Url::parse(target).ok()?;
    let authority = format!("{}:{}", url.host_str()?, url.port_or_known_default()?);
    let mut path = url.path().to_owned();
    if let Some(query) = url.query() {
        path = format!("{path}?{query}");
    }
    let rest = head.split_once("\r\n")?.1;
    let rest: String = rest
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n{rest}");
    let mut upstream = TcpStream::connect(authority).await.ok()?;
    seen.requests.fetch_add(1, Ordering::SeqCst);
    upstream.write_all(request.as_bytes()).await.ok()?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream)
        .await
        .ok()?;
    Some(())
}

async fn serve_socks(mut client: TcpStream, seen: Arc<Seen>) -> Option<()> {
    // Greeting: version 5, methods; we take "no authentication".
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).await.ok()?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods).await.ok()?;
    client.write_all(&[5, 0]).await.ok()?;
    // Request: version, CONNECT, reserved, address type, address, port.
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await.ok()?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await.ok()?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let len = client.read_u8().await.ok()?;
            let mut name = vec![0u8; usize::from(len)];
            client.read_exact(&mut name).await.ok()?;
            String::from_utf8(name).ok()?
        }
        _ => return None,
    };
    let port = client.read_u16().await.ok()?;
    let mut upstream = TcpStream::connect((host.as_str(), port)).await.ok()?;
    seen.tunnels.fetch_add(1, Ordering::SeqCst);
    client
        .write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        .await
        .ok()?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream)
        .await
        .ok()?;
    Some(())
}

impl Proxy {
    /// `kind`: "http" or "socks5".
    pub async fn start(kind: &'static str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let counted = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let seen = counted.clone();
                tokio::spawn(async move {
                    if kind == "http" {
                        serve_http(client, seen).await
                    } else {
                        serve_socks(client, seen).await
                    }
                });
            }
        });
        Proxy {
            url: format!("{kind}://127.0.0.1:{port}"),
            seen,
        }
    }
}
