//! The responder's capacity for a given request mix: replays recorded request datagrams at
//! its endpoints as fast as it answers them (a window of requests in flight per client
//! thread) and counts answers a second. This is the floor that an estate scan through the
//! same responder cannot beat.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;

/// Client threads and requests each keeps in flight.
const CLIENTS: usize = 2;
const WINDOW: usize = 16;

/// Answers a second that the endpoints at `targets` give to `requests` (cycled), measured
/// over `length`.
pub fn capacity(
    targets: &[SocketAddr],
    requests: &[Vec<u8>],
    length: Duration,
) -> anyhow::Result<f64> {
    if targets.is_empty() || requests.is_empty() {
        bail!("nothing to blast: no endpoints or no recorded requests");
    }
    let targets: Arc<Vec<SocketAddr>> = Arc::new(targets.to_vec());
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(requests.to_vec());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (targets, requests, stop) = (targets.clone(), requests.clone(), stop.clone());
            std::thread::spawn(move || client(c, &targets, &requests, &stop))
        })
        .collect();
    std::thread::sleep(length);
    stop.store(true, Ordering::Relaxed);
    let mut answered = 0u64;
    for h in handles {
        answered += h
            .join()
            .map_err(|_| anyhow::anyhow!("a blast thread panicked"))??;
    }
    Ok(answered as f64 / started.elapsed().as_secs_f64())
}

fn client(
    id: usize,
    targets: &[SocketAddr],
    requests: &[Vec<u8>],
    stop: &AtomicBool,
) -> anyhow::Result<u64> {
    let sock = UdpSocket::bind("127.0.0.1:0")?;
    sock.set_read_timeout(Some(Duration::from_millis(100)))?;
    let mut buf = vec![0u8; 65_536];
    // Each client walks the endpoints and the request mix from its own offset.
    let mut next = id * 7919;
    let mut send = |sock: &UdpSocket| -> std::io::Result<()> {
        let t = targets[next % targets.len()];
        let r = &requests[next % requests.len()];
        next += 1;
        sock.send_to(r, t).map(drop)
    };
    for _ in 0..WINDOW {
        send(&sock)?;
    }
    let mut answered = 0u64;
    while !stop.load(Ordering::Relaxed) {
        match sock.recv_from(&mut buf) {
            Ok(_) => {
                answered += 1;
                send(&sock)?;
            }
            // A lost datagram: refill the window.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                for _ in 0..WINDOW {
                    send(&sock)?;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(answered)
}
