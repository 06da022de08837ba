//! A tiny scripted SMTP server on loopback: enough of RFC 5321 for one lettre session.

use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How the fake server behaves.
#[derive(Clone, Copy)]
pub struct Script {
    /// Advertise `AUTH PLAIN LOGIN` in the EHLO reply.
    pub offer_auth: bool,
    /// Reply to `AUTH` (e.g. `235 2.7.0 ok` or `535 5.7.8 bad credentials`).
    pub auth_reply: &'static str,
    /// Never send the 220 greeting (to exercise the timeout).
    pub silent: bool,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            offer_auth: true,
            auth_reply: "235 2.7.0 Authentication successful",
            silent: false,
        }
    }
}

/// What the client said.
#[derive(Debug, Default)]
pub struct Session {
    pub commands: Vec<String>,
    pub auth: Option<String>,
    pub mail_from: Option<String>,
    pub rcpt_to: Vec<String>,
    pub data: Option<String>,
    pub quit: bool,
}

/// Starts a server for one connection; the handle yields the transcript when the client leaves.
pub async fn start(script: Script) -> (SocketAddr, JoinHandle<Session>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut session = Session::default();
        if script.silent {
            while let Ok(Some(_)) = lines.next_line().await {}
            return session;
        }
        write
            .write_all(b"220 fake.test ESMTP ready\r\n")
            .await
            .unwrap();
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_ascii_uppercase();
            session.commands.push(line.clone());
            let reply: &str = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                if script.offer_auth {
                    "250-fake.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME"
                } else {
                    "250-fake.test\r\n250 8BITMIME"
                }
            } else if upper.starts_with("AUTH") {
                session.auth = Some(line.clone());
                script.auth_reply
            } else if upper.starts_with("MAIL FROM:") {
                session.mail_from = Some(line["MAIL FROM:".len()..].to_owned());
                "250 2.1.0 ok"
            } else if upper.starts_with("RCPT TO:") {
                session.rcpt_to.push(line["RCPT TO:".len()..].to_owned());
                "250 2.1.5 ok"
            } else if upper == "DATA" {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .unwrap();
                let mut data = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    data.push_str(&l);
                    data.push('\n');
                }
                session.data = Some(data);
                "250 2.0.0 queued"
            } else if upper == "QUIT" {
                session.quit = true;
                write.write_all(b"221 2.0.0 bye\r\n").await.unwrap();
                break;
            } else if upper == "RSET" || upper == "NOOP" {
                "250 ok"
            } else {
                "502 5.5.2 not implemented"
            };
            write
                .write_all(format!("{reply}\r\n").as_bytes())
                .await
                .unwrap();
        }
        session
    });
    (addr, handle)
}
