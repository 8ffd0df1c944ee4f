//! The one CSV line splitter the report's `--compare` and the book's
//! checker share. The workbench writes one record a line (no field holds
//! a newline); a field may be quoted (`"a,b"`, with `""` for a quote), as
//! a style's description with a comma is.

/// Splits one CSV line into its fields, unquoted.
pub fn fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoted_fields_keep_their_commas_and_quotes() {
        assert_eq!(
            super::fields("a,\"b,c\",\"say \"\"hi\"\"\",,d"),
            ["a", "b,c", "say \"hi\"", "", "d"]
        );
        assert_eq!(super::fields(""), [""]);
    }
}
