//! rumqttd 0.20 never sets `TCP_NODELAY` on the sockets it accepts (perf-and-edge.md §2.2).
//! With Nagle on, a command published to a device waits for the TCP ACK of the previous
//! packet, which the device delays by up to 40 ms: measured here, every command took 77 ms
//! instead of a fraction of one. rumqttd binds and accepts inside its own code, so livectl
//! finds the broker's accepted sockets among its own file descriptors (`/proc/self/fd`, by
//! local port) and sets the option on each new one. A scan runs on its own thread whenever a
//! device logs in; the listeners never wait for it.

use std::collections::HashSet;
use std::sync::mpsc;

/// Starts the scanner for sockets whose local port is one of `ports`. The returned sender
/// asks for a scan (requests arriving during a scan are merged into the next one).
pub fn start(ports: Vec<u16>) -> mpsc::Sender<()> {
    let (tx, rx) = mpsc::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name("mqtt-nodelay".into())
        .spawn(move || {
            let mut done = HashSet::new();
            // The listening sockets themselves, once bound: accepted sockets inherit the
            // option from them on Linux.
            for wait_ms in [20, 100, 400, 1500] {
                std::thread::sleep(std::time::Duration::from_millis(wait_ms));
                scan(&ports, &mut done);
            }
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                scan(&ports, &mut done);
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "no TCP_NODELAY scanner: MQTT commands may wait for Nagle");
    }
    tx
}

#[cfg(target_os = "linux")]
fn scan(ports: &[u16], done: &mut HashSet<u64>) {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    if done.len() > 200_000 {
        done.clear();
    }
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let Some(inode) = target
            .to_str()
            .and_then(|t| t.strip_prefix("socket:["))
            .and_then(|t| t.strip_suffix(']'))
            .and_then(|t| t.parse::<u64>().ok())
        else {
            continue;
        };
        if done.contains(&inode) {
            continue;
        }
        if local_port(fd).is_some_and(|p| ports.contains(&p)) && set_nodelay(fd) {
            done.insert(inode);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn scan(_ports: &[u16], _done: &mut HashSet<u64>) {}

/// The local TCP port of socket `fd`, if it is an IPv4 or IPv6 socket.
#[cfg(target_os = "linux")]
fn local_port(fd: i32) -> Option<u16> {
    // SAFETY: `storage` is a properly sized, zeroed sockaddr_storage and `len` holds its size;
    // getsockname writes at most `len` bytes. A closed or non-socket fd just fails.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let ok = unsafe {
        libc::getsockname(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    } == 0;
    if !ok {
        return None;
    }
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says this is a sockaddr_in, which fits in the storage.
            let v4: &libc::sockaddr_in =
                unsafe { &*(&storage as *const _ as *const libc::sockaddr_in) };
            Some(u16::from_be(v4.sin_port))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this is a sockaddr_in6, which fits in the storage.
            let v6: &libc::sockaddr_in6 =
                unsafe { &*(&storage as *const _ as *const libc::sockaddr_in6) };
            Some(u16::from_be(v6.sin6_port))
        }
        _ => None,
    }
}

/// Sets TCP_NODELAY; false if `fd` is not a TCP socket (a listener says yes too, harmlessly:
/// accepted sockets inherit it).
#[cfg(target_os = "linux")]
fn set_nodelay(fd: i32) -> bool {
    let one: libc::c_int = 1;
    // SAFETY: a valid pointer to a c_int of the given size; on a closed or unrelated fd the
    // call fails without effect.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        ) == 0
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn sockets_accepted_after_a_scan_inherit_nodelay() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        scan(&[port], &mut HashSet::new());
        let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }

    #[test]
    fn accepted_sockets_of_the_port_get_nodelay() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(!accepted.nodelay().unwrap());
        scan(&[port], &mut HashSet::new());
        assert!(accepted.nodelay().unwrap());
    }
}
