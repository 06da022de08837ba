//! [`MailTemplates`]: the words of every message, from templates an operator can override.
//!
//! Each message kind has two templates per language, `<locale>/<kind>.txt` and
//! `<locale>/<kind>.html` (MiniJinja syntax). The text one starts with a `Subject:` line and a
//! blank line, then the plain-text body; the HTML one is the body of the HTML part and usually
//! extends the shared `layout.html`. The templates shipped in `config/mail/` are compiled into
//! the binary; a file of the same path in the operator's folder (`MAIL_TEMPLATES_DIR`, by
//! default `config/mail`) takes its place, and a folder of a new language adds that language.
//!
//! The language of a message is the recipient's locale, then its primary language (`pt-BR`,
//! then `pt`), then English. Every template can use `product` (`PRODUCT_NAME`), `public_url`
//! (`PUBLIC_URL`), `subject` (HTML only) and the message's values.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use minijinja::{Environment, Value, context};
use plinth_sessions::{MailError, MailKind, OutgoingMail};

/// The language used when the recipient's has no templates.
pub const DEFAULT_LOCALE: &str = "en";

/// The templates shipped with Plinth (`config/mail/`), compiled in.
const SHIPPED: &[(&str, &str)] = &include!(concat!(env!("OUT_DIR"), "/shipped_templates.rs"));

/// A message put into words.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// Recipient.
    pub to: plinth_kernel::Email,
    /// Subject line (one line).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// The action link the message carries, if any (it may hold a token: never log it).
    pub link: Option<String>,
    /// Which message, for logs.
    pub kind: MailKind,
    /// The language it was written in.
    pub locale: String,
}

impl std::fmt::Debug for RenderedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedMail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("kind", &self.kind)
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

/// Why the templates cannot be used (at start-up: the server refuses to start).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The override folder cannot be read.
    #[error("mail templates folder {0}: {1}")]
    Folder(String, String),
    /// A template does not compile, or a text template has no `Subject:` line.
    #[error("mail template {0}: {1}")]
    Invalid(String, String),
}

/// The mail templates of a deployment: shipped ones, overridden file by file from a folder.
pub struct MailTemplates {
    env: Environment<'static>,
    locales: BTreeSet<String>,
    product: String,
    public_url: String,
}

impl std::fmt::Debug for MailTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailTemplates")
            .field("locales", &self.locales)
            .field("product", &self.product)
            .finish_non_exhaustive()
    }
}

impl MailTemplates {
    /// The shipped templates only.
    #[must_use]
    pub fn shipped(product: &str, public_url: &str) -> Self {
        Self::build(None, product, public_url)
    }

    /// The shipped templates, each replaced by the file of the same path under `dir` when there
    /// is one (a missing `dir` is no error: the shipped ones serve). Every template of every
    /// language is compiled now, so a broken override stops the start-up with its file name.
    ///
    /// # Errors
    /// [`TemplateError`] naming the folder or the template that cannot be used.
    pub fn load(dir: &Path, product: &str, public_url: &str) -> Result<Self, TemplateError> {
        let folder =
            |e: std::io::Error| TemplateError::Folder(dir.display().to_string(), e.to_string());
        let dir = match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => Some(dir.to_path_buf()),
            Ok(_) => {
                return Err(TemplateError::Folder(
                    dir.display().to_string(),
                    "not a folder".into(),
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(folder(e)),
        };
        let templates = Self::build(dir.as_deref(), product, public_url);
        let templates = templates.with_locales_of(dir.as_deref()).map_err(folder)?;
        templates.check()?;
        Ok(templates)
    }

    fn build(dir: Option<&Path>, product: &str, public_url: &str) -> Self {
        let mut env = Environment::new();
        let dir = dir.map(Path::to_path_buf);
        env.set_loader(move |name| load(dir.as_deref(), name));
        env.set_formatter(html_formatter);
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        let locales = SHIPPED
            .iter()
            .filter_map(|(path, _)| path.split_once('/').map(|(l, _)| l.to_owned()))
            .collect();
        Self {
            env,
            locales,
            product: product.to_owned(),
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    fn with_locales_of(mut self, dir: Option<&Path>) -> Result<Self, std::io::Error> {
        if let Some(dir) = dir {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                if entry.file_type()?.is_dir()
                    && let Some(name) = entry.file_name().to_str()
                    && is_locale(name)
                {
                    self.locales.insert(name.to_owned());
                }
            }
        }
        Ok(self)
    }

    /// The languages with templates (shipped and added).
    #[must_use]
    pub fn locales(&self) -> Vec<String> {
        self.locales.iter().cloned().collect()
    }

    /// Compiles every template of every language (a language may leave some out: those fall
    /// back to English).
    fn check(&self) -> Result<(), TemplateError> {
        for locale in &self.locales {
            for kind in MailKind::ALL {
                for ext in ["txt", "html"] {
                    let name = format!("{locale}/{}.{ext}", kind.name());
                    match self.env.get_template(&name) {
                        Ok(_) => {}
                        Err(e) if e.kind() == minijinja::ErrorKind::TemplateNotFound => {}
                        Err(e) => return Err(TemplateError::Invalid(name, detail(&e))),
                    }
                }
            }
        }
        // The English set is complete: it is what every other language falls back to.
        let Ok(to) = plinth_kernel::Email::parse("someone@example.com") else {
            return Ok(());
        };
        for kind in MailKind::ALL {
            let sample = OutgoingMail::new(to.clone(), kind);
            self.render(&sample).map_err(|e| {
                TemplateError::Invalid(format!("{DEFAULT_LOCALE}/{}", kind.name()), e.to_string())
            })?;
        }
        Ok(())
    }

    /// The language `message` is written in: its locale, its primary language, or English.
    #[must_use]
    pub fn locale_for(&self, message: &OutgoingMail) -> String {
        let name = |locale: &str| format!("{locale}/{}.txt", message.kind.name());
        let wanted = message.locale.as_deref().filter(|l| is_locale(l));
        let candidates = wanted
            .into_iter()
            .flat_map(|l| [Some(l), l.split_once('-').map(|(primary, _)| primary)])
            .flatten();
        for locale in candidates {
            if self.locales.contains(locale) && self.env.get_template(&name(locale)).is_ok() {
                return locale.to_owned();
            }
        }
        DEFAULT_LOCALE.to_owned()
    }

    /// Puts `message` into words.
    ///
    /// # Errors
    /// [`MailError::InvalidMessage`] when a template fails to render or its text has no
    /// `Subject:` line.
    pub fn render(&self, message: &OutgoingMail) -> Result<RenderedMail, MailError> {
        let locale = self.locale_for(message);
        let invalid = |e: minijinja::Error| MailError::InvalidMessage(detail(&e));
        let values = Value::from(minijinja::value::Serde(&message.values));
        let text_name = format!("{locale}/{}.txt", message.kind.name());
        let text = self
            .env
            .get_template(&text_name)
            .and_then(|t| {
                t.render(context! {
                    product => &self.product, public_url => &self.public_url, ..values.clone()
                })
            })
            .map_err(invalid)?;
        let (subject, text) = split_subject(&text).ok_or_else(|| {
            MailError::InvalidMessage(format!(
                "{text_name} must start with a Subject: line and a blank line"
            ))
        })?;
        // Subjects reach logs and lock screens: a code or a link never goes there.
        if ["code", "link"]
            .iter()
            .filter_map(|key| message.text(key))
            .any(|secret| !secret.is_empty() && subject.contains(secret))
        {
            return Err(MailError::InvalidMessage(format!(
                "{text_name} puts a code or a link in the subject"
            )));
        }
        let html_name = format!("{locale}/{}.html", message.kind.name());
        let html = self
            .env
            .get_template(&html_name)
            .or_else(|_| {
                self.env
                    .get_template(&format!("{DEFAULT_LOCALE}/{}.html", message.kind.name()))
            })
            .and_then(|t| {
                t.render(context! {
                    product => &self.product, public_url => &self.public_url,
                    subject => &subject, lang => &locale, ..values
                })
            })
            .map_err(invalid)?;
        Ok(RenderedMail {
            to: message.to.clone(),
            subject,
            text,
            html,
            link: message.link.clone(),
            kind: message.kind,
            locale,
        })
    }
}

/// `Subject: …`, a blank line, the body: the subject on one line and the body.
fn split_subject(rendered: &str) -> Option<(String, String)> {
    let rendered = rendered.trim_start().replace("\r\n", "\n");
    let (first, body) = rendered.split_once('\n')?;
    let subject = first.strip_prefix("Subject:")?.trim();
    let body = body.strip_prefix('\n').unwrap_or(body);
    (!subject.is_empty()).then(|| (subject.to_owned(), body.to_owned()))
}

/// A language tag the templates may name: letters, digits and `-`, at most 35 characters.
fn is_locale(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 35
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The file for template `name`: under `dir` when there, else the shipped one. A name that
/// could leave the folder (`..`, an absolute path) is no template at all.
fn load(dir: Option<&Path>, name: &str) -> Result<Option<String>, minijinja::Error> {
    let relative = PathBuf::from(name);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return Ok(None);
    }
    if let Some(dir) = dir {
        match std::fs::read_to_string(dir.join(&relative)) {
            Ok(source) => return Ok(Some(source)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("cannot read {}: {e}", dir.join(&relative).display()),
                ));
            }
        }
    }
    Ok(SHIPPED
        .iter()
        .find(|(path, _)| *path == name)
        .map(|(_, source)| (*source).to_owned()))
}

/// MiniJinja's formatter, except that in HTML a value escapes only `&`, `<`, `>`, `"` and `'`
/// (MiniJinja also writes `/` as `&#x2f;`, which turns every link into an unreadable, though
/// valid, attribute).
fn html_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if *state.auto_escape() != minijinja::AutoEscape::Html
        || value.is_safe()
        || value.is_undefined()
        || value.is_none()
    {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            other => escaped.push(other),
        }
    }
    out.write_str(&escaped)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}

fn detail(e: &minijinja::Error) -> String {
    match e.line() {
        Some(line) => format!("{e} (line {line})"),
        None => e.to_string(),
    }
}
