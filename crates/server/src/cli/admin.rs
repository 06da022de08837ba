//! `plinth admin create --email E --name N`, password on standard input.

use std::io::BufRead;

use anyhow::{Context, bail};
use plinth_kernel::RequestMeta;
use plinth_store::Database;
use secrecy::ExposeSecret;

use crate::settings::Settings;
use crate::startup::user_service;

/// Reads the password: exactly one line, without its line ending (`\n` or `\r\n`). Other
/// whitespace is kept, since it is part of the password.
///
/// # Errors
/// Standard input is empty or unreadable, or the line is empty.
pub(super) fn read_password(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line
        .strip_suffix('\n')
        .map_or(line.as_str(), |l| l.strip_suffix('\r').unwrap_or(l));
    if password.is_empty() {
        bail!(
            "no password on standard input: pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | plinth admin create …`"
        );
    }
    Ok(password.to_owned())
}

/// Applies pending migrations (so this works on a fresh database), then creates or promotes
/// the super_admin and prints its id on standard output.
///
/// # Errors
/// The database is unreachable, or the email, name or password is refused.
pub(super) async fn create(
    settings: &Settings,
    email: &str,
    name: &str,
    password: String,
) -> anyhow::Result<()> {
    let database = Database::connect(
        settings.database.url.expose_secret(),
        settings.database.pool_max,
    )
    .await?;
    database.migrate_up().await?;
    let users = user_service(settings, &database);
    let user = users
        .create_super_admin(email, name, password, &RequestMeta::cli())
        .await
        .context("cannot create the super_admin")?;
    super::print_line(&user.id.to_string())?;
    eprintln!("{} is now a super_admin", user.email.as_str());
    database.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_one_line_without_its_ending() {
        assert_eq!(
            read_password(&b"s3cret pass phrase\n"[..]).unwrap(),
            "s3cret pass phrase"
        );
        assert_eq!(
            read_password(&b" spaced \r\nsecond line\n"[..]).unwrap(),
            " spaced "
        );
        assert_eq!(read_password(&b"no newline"[..]).unwrap(), "no newline");
        assert!(read_password(&b"\n"[..]).is_err());
        assert!(read_password(&b""[..]).is_err());
    }
}
