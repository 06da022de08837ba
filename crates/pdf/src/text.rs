//! Text for the built-in Helvetica: WinAnsi encoding, widths, wrapping.

/// Helvetica advance widths (1/1000 em) of the printable ASCII characters 32–126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ␠ to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0–9
    278, 278, 584, 584, 584, 556, 1015, // : to @
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // A–Z
    278, 278, 278, 469, 556, 333, // [ to `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, // a–z
    334, 260, 334, 584, // { to ~
];

/// Width used for characters outside ASCII (close to an average letter).
const OTHER_WIDTH: u16 = 556;

/// `text` as WinAnsi bytes: ASCII and Latin-1 as they are, the common typographic marks of
/// the 0x80–0x9F block, `?` for anything else. Control characters become spaces.
#[must_use]
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '™' => 0x99,
            c if c.is_control() => b' ',
            _ => b'?',
        })
        .collect()
}

/// The width of `text` in points at `size` in Helvetica.
#[must_use]
pub fn width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| {
            let code = u32::from(c);
            if (32..=126).contains(&code) {
                HELVETICA[(code - 32) as usize]
            } else {
                OTHER_WIDTH
            }
        })
        .map(u32::from)
        .sum();
    // At most a few thousand characters: exact in f32.
    #[allow(clippy::cast_precision_loss)]
    let units = units as f32;
    units * size / 1000.0
}

/// Breaks `text` into lines no wider than `max` points at `size`, between words where it can
/// and inside a word that is too long on its own.
#[must_use]
pub fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, size) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if width(&line, size) > max {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_latin1_and_typographic_marks() {
        assert_eq!(win_ansi("Café €5 – ok"), b"Caf\xe9 \x805 \x96 ok");
        assert_eq!(win_ansi("日本\n"), b"?? ");
    }

    #[test]
    fn measures_like_helvetica() {
        assert!((width("0", 1000.0) - 556.0).abs() < f32::EPSILON);
        assert!((width("Il", 10.0) - 5.0).abs() < 0.01);
    }

    #[test]
    fn wraps_words_and_breaks_long_ones() {
        let lines = wrap("one two three four five six", 10.0, 60.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l, 10.0) <= 60.0), "{lines:?}");
        assert_eq!(lines.join(" "), "one two three four five six");
        let long = "x".repeat(200);
        let lines = wrap(&long, 10.0, 100.0);
        assert_eq!(lines.concat(), long);
        assert!(lines.iter().all(|l| width(l, 10.0) <= 100.0));
        assert_eq!(wrap("", 10.0, 100.0), vec![String::new()]);
    }
}
