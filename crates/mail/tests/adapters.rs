//! The mail adapters against a real folder and a fake SMTP server on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod adapters {
    mod logs;
    mod outbox;
    mod smtp;
    mod smtp_server;
    mod templates;
}
