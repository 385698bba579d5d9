//! The driver's SQL dialect on top of DataFusion's: ODBC escape clauses, `?` parameter
//! markers, `[bracketed]` identifiers. Rewritten on tokens, so string literals and quoted
//! identifiers are never touched (bug case B31: `{fn ...}` escapes from Tableau).
//!
//! Escapes (ODBC Appendix C): `{fn f(...)}` marks `f` as an ODBC scalar function, which
//! `functions` maps after parsing; `{d '...'}`, `{t '...'}`, `{ts '...'}` become typed
//! literals; `{oj ...}` loses its braces; `{escape 'c'}` becomes LIKE's ESCAPE;
//! `{call p(...)}` becomes `CALL p(...)`, which the engine routes to the procedure registry.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Statement, Visit, Visitor};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Word};

use crate::error::SqlError;
use crate::functions::{ODBC_MARK, keeps_sql_syntax, rewrite_functions};

/// A parsed statement and the number of parameter markers it holds.
pub(crate) struct Parsed {
    pub(crate) statement: Statement,
    pub(crate) param_count: usize,
}

/// Parses one statement of the driver's dialect.
pub(crate) fn parse(sql: &str) -> Result<Parsed, SqlError> {
    let dialect = GenericDialect {};
    let bracketed = brackets_to_quotes(sql);
    let tokens = Tokenizer::new(&dialect, &bracketed)
        .tokenize_with_location()
        .map_err(|e| SqlError::syntax(format!("syntax error: {e}")))?;
    let tokens = rewrite_escapes(tokens)?;
    let (tokens, param_count) = number_markers(tokens)?;
    let mut statements = Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()?;
    match statements.len() {
        1 => {
            let mut statement = statements.remove(0);
            check_expression_depth(&statement)?;
            rewrite_functions(&mut statement)?;
            backslash_escapes(&mut statement);
            Ok(Parsed {
                statement,
                param_count,
            })
        }
        0 => Err(SqlError::syntax("syntax error: empty statement")),
        n => Err(SqlError::syntax(format!(
            "syntax error: one statement expected, found {n}"
        ))),
    }
}

/// The deepest expression nesting a statement may have. DataFusion plans and evaluates an
/// expression recursively, and its planning time grows faster than the depth: a generated
/// chain of 3,000 `OR`ed equalities took tens of seconds, during which neither the query
/// timeout nor SQLCancel can stop it. Deeper statements are refused; `IN (...)` lists are
/// flat and take any number of values.
pub(crate) const MAX_EXPRESSION_DEPTH: usize = 1000;

fn check_expression_depth(statement: &Statement) -> Result<(), SqlError> {
    let mut depth = ExpressionDepth::default();
    match statement.visit(&mut depth) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(SqlError::syntax(format!(
            "the statement nests expressions more than {MAX_EXPRESSION_DEPTH} levels deep \
             (a long chain of AND, OR or arithmetic); write a list of alternatives as IN (...)"
        ))),
    }
}

#[derive(Default)]
struct ExpressionDepth {
    current: usize,
}

impl Visitor for ExpressionDepth {
    type Break = ();

    fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.current += 1;
        if self.current > MAX_EXPRESSION_DEPTH {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.current -= 1;
        ControlFlow::Continue(())
    }
}

/// `LIKE p ESCAPE 'c'` (and `{escape 'c'}`) for any character `c`: DataFusion takes only the
/// backslash, so a literal pattern is rewritten to use it — `c` followed by a character
/// becomes `\` and that character, and a backslash of its own becomes `\\`, a literal
/// backslash. A pattern that is not a literal keeps its escape, which DataFusion then
/// refuses with a clear message.
fn backslash_escapes(statement: &mut Statement) {
    use datafusion::sql::sqlparser::ast::{Expr, Value, visit_expressions_mut};
    let _ = visit_expressions_mut(statement, |expr| {
        let (pattern, escape_char) = match expr {
            Expr::Like {
                pattern,
                escape_char,
                ..
            }
            | Expr::ILike {
                pattern,
                escape_char,
                ..
            } => (pattern, escape_char),
            _ => return ControlFlow::<()>::Continue(()),
        };
        let escape = match escape_char.as_ref().map(|e| &e.value) {
            Some(Value::SingleQuotedString(e)) if e.chars().count() == 1 && e != "\\" => {
                e.chars().next().unwrap_or('\\')
            }
            _ => return ControlFlow::Continue(()),
        };
        let Expr::Value(value) = pattern.as_mut() else {
            return ControlFlow::Continue(());
        };
        let Value::SingleQuotedString(text) = &value.value else {
            return ControlFlow::Continue(());
        };
        let mut rewritten = String::with_capacity(text.len() + 2);
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == escape {
                rewritten.push('\\');
                if let Some(next) = chars.next() {
                    rewritten.push(next);
                }
            } else if c == '\\' {
                rewritten.push_str("\\\\");
            } else {
                rewritten.push(c);
            }
        }
        value.value = Value::SingleQuotedString(rewritten);
        if let Some(escape_char) = escape_char.as_mut() {
            escape_char.value = Value::SingleQuotedString("\\".to_string());
        }
        ControlFlow::Continue(())
    });
}

/// `[name]` (Access, SQL Server, Excel's query builder) becomes `"name"`. A `[` directly
/// after a name, `]` or `)` is left alone: there it indexes an array.
fn brackets_to_quotes(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' || c == '`' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '[' && !(previous.is_alphanumeric() || "_])\"".contains(previous)) => {
                let name: String = chars.by_ref().take_while(|&n| n != ']').collect();
                out.push('"');
                out.push_str(&name.replace('"', "\"\""));
                out.push('"');
            }
            None => out.push(c),
        }
        previous = c;
    }
    out
}

/// What an ODBC escape `{keyword ...}` becomes.
enum Escape {
    /// `{fn f(x)}`: the braces and the keyword go, the function name is marked.
    Function,
    /// `{oj ...}`: the braces and the keyword go.
    Drop,
    /// `{d '...'}`, `{t ...}`, `{ts ...}`, `{escape ...}`: the keyword becomes SQL's.
    Keyword(&'static str),
}

fn escape_of(word: &Word) -> Option<Escape> {
    Some(match word.value.to_ascii_lowercase().as_str() {
        "fn" => Escape::Function,
        "oj" => Escape::Drop,
        "call" => Escape::Keyword("CALL"),
        "d" => Escape::Keyword("DATE"),
        "t" => Escape::Keyword("TIME"),
        "ts" => Escape::Keyword("TIMESTAMP"),
        "escape" => Escape::Keyword("ESCAPE"),
        "interval" => Escape::Keyword("INTERVAL"),
        _ => return None,
    })
}

/// Removes ODBC escape braces, translating the escape keyword (ODBC Appendix C).
fn rewrite_escapes(tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, SqlError> {
    let mut out = Vec::with_capacity(tokens.len());
    // For each open brace: whether it was an escape (and so its `}` goes too).
    let mut open: Vec<bool> = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        let token = &tokens[index];
        match &token.token {
            Token::LBrace => {
                let next = next_significant(&tokens, index + 1);
                let escape = next.and_then(|(i, t)| match &t.token {
                    Token::Word(w) => escape_of(w).map(|e| (i, e)),
                    _ => None,
                });
                if let Some(call) = next.filter(|(_, t)| is_return_value(&t.token)) {
                    return Err(SqlError::unsupported(format!(
                        "procedure return values ({{? = call ...}}) are not supported (at {})",
                        call.1.span.start
                    )));
                }
                open.push(escape.is_some());
                match escape {
                    Some((keyword_index, escape)) => {
                        index = keyword_index + 1;
                        match escape {
                            Escape::Keyword(keyword) => {
                                out.push(keyword_token(keyword, &tokens[keyword_index]));
                            }
                            Escape::Function => {
                                index = mark_function_name(&tokens, index, &mut out)
                            }
                            Escape::Drop => {}
                        }
                        continue;
                    }
                    None => out.push(token.clone()),
                }
            }
            Token::RBrace => {
                if !open.pop().unwrap_or(false) {
                    out.push(token.clone());
                }
            }
            _ => out.push(token.clone()),
        }
        index += 1;
    }
    Ok(out)
}

/// `{? = call ...}`: a procedure's return value bound to a marker.
fn is_return_value(token: &Token) -> bool {
    matches!(token, Token::Placeholder(p) if p == "?")
}

/// Copies the tokens up to the function name after `{fn` and writes the name marked as an
/// ODBC function; returns the index after it.
fn mark_function_name(
    tokens: &[TokenWithSpan],
    from: usize,
    out: &mut Vec<TokenWithSpan>,
) -> usize {
    let Some((name_index, name)) = next_significant(tokens, from) else {
        return from;
    };
    let Token::Word(word) = &name.token else {
        return from;
    };
    if word.quote_style.is_some() || keeps_sql_syntax(&word.value) {
        return from;
    }
    out.extend(tokens[from..name_index].iter().cloned());
    let marked = Token::make_word(&format!("{ODBC_MARK}{}", word.value), None);
    out.push(TokenWithSpan::new(marked, name.span));
    name_index + 1
}

fn next_significant(tokens: &[TokenWithSpan], from: usize) -> Option<(usize, &TokenWithSpan)> {
    tokens
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, t)| !matches!(t.token, Token::Whitespace(_)))
}

fn keyword_token(keyword: &str, at: &TokenWithSpan) -> TokenWithSpan {
    TokenWithSpan::new(Token::make_keyword(keyword), at.span)
}

/// ODBC's `?` markers become DataFusion's `$1`, `$2`, ... in order of appearance; the
/// count is what SQLNumParams reports (bug case B34). `$n` written by hand also counts.
fn number_markers(tokens: Vec<TokenWithSpan>) -> Result<(Vec<TokenWithSpan>, usize), SqlError> {
    let mut question_marks = 0;
    let mut highest_numbered = 0;
    let mut out = Vec::with_capacity(tokens.len());
    for mut token in tokens {
        if let Token::Placeholder(marker) = &token.token {
            if marker == "?" {
                question_marks += 1;
                token.token = Token::Placeholder(format!("${question_marks}"));
            } else if let Some(n) = marker
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
            {
                highest_numbered = highest_numbered.max(n);
            } else {
                return Err(SqlError::syntax(format!(
                    "syntax error: unknown parameter marker {marker}"
                )));
            }
        }
        out.push(token);
    }
    if question_marks > 0 && highest_numbered > 0 {
        return Err(SqlError::syntax(
            "syntax error: `?` and `$n` markers cannot be mixed",
        ));
    }
    Ok((out, question_marks.max(highest_numbered)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql_of(sql: &str) -> String {
        parse(sql)
            .map(|p| p.statement.to_string())
            .unwrap_or_else(|e| e.message)
    }

    #[test]
    fn question_marks_are_numbered_outside_string_literals() {
        let parsed = parse("SELECT '?' AS q FROM t WHERE a = ? AND b > ?").unwrap();
        assert_eq!(parsed.param_count, 2);
        assert_eq!(
            parsed.statement.to_string(),
            "SELECT '?' AS q FROM t WHERE a = $1 AND b > $2"
        );
    }

    #[test]
    fn odbc_escapes_become_plain_sql() {
        assert_eq!(
            sql_of(
                "SELECT {fn UCASE(name)} FROM t WHERE d > {d '2024-01-02'} AND ts < {ts '2024-01-02 03:04:05'}"
            ),
            "SELECT upper((name)) FROM t WHERE d > DATE '2024-01-02' AND ts < TIMESTAMP '2024-01-02 03:04:05'"
        );
        assert_eq!(
            sql_of(
                "SELECT * FROM {oj a LEFT OUTER JOIN b ON a.x = b.y} WHERE n LIKE 'a\\_%' {escape '\\'}"
            ),
            "SELECT * FROM a LEFT OUTER JOIN b ON a.x = b.y WHERE n LIKE 'a\\_%' ESCAPE '\\'"
        );
    }

    #[test]
    fn braces_inside_string_literals_are_kept() {
        assert_eq!(sql_of("SELECT '{fn x}' FROM t"), "SELECT '{fn x}' FROM t");
    }

    #[test]
    fn brackets_and_backticks_quote_identifiers() {
        assert_eq!(
            sql_of("SELECT [my col], `other` FROM [t] WHERE a = '[x]'"),
            "SELECT \"my col\", `other` FROM \"t\" WHERE a = '[x]'"
        );
    }

    #[test]
    fn call_escapes_become_call_statements() {
        assert_eq!(sql_of("{call publish('t', ?)}"), "CALL publish('t', $1)");
        assert_eq!(sql_of("{ CALL refresh }"), "CALL refresh");
        let error = parse("{? = call publish('t')}").err().unwrap();
        assert!(matches!(error.kind, crate::SqlErrorKind::Unsupported));
    }

    #[test]
    fn only_functions_inside_fn_escapes_take_odbc_meanings() {
        assert_eq!(
            sql_of("SELECT {fn LOG(x)}, LOG(x) FROM t"),
            "SELECT ln((x)), LOG(x) FROM t"
        );
        assert_eq!(
            sql_of("SELECT {fn LCASE({fn LEFT(name, 2)})} FROM t"),
            "SELECT lower((left((name), (2)))) FROM t"
        );
        assert_eq!(
            sql_of("SELECT {fn POSITION('a' IN name)} FROM t"),
            "SELECT POSITION('a' IN name) FROM t"
        );
    }

    #[test]
    fn fn_escapes_map_keyword_arguments() {
        assert_eq!(
            sql_of("SELECT {fn CONVERT(price, SQL_BIGINT)} FROM t"),
            "SELECT CAST(price AS BIGINT) FROM t"
        );
        assert_eq!(
            sql_of("SELECT {fn CURDATE()}, {fn CURRENT_DATE} FROM t"),
            "SELECT current_date(), current_date() FROM t"
        );
    }

    #[test]
    fn unknown_odbc_functions_and_intervals_are_named_in_the_error() {
        let error = parse("SELECT {fn SOUNDEX(name)} FROM t").err().unwrap();
        assert!(matches!(error.kind, crate::SqlErrorKind::Unsupported));
        assert_eq!(
            error.message,
            "the ODBC scalar function {fn SOUNDEX(...)} is not supported"
        );
        let error = parse("SELECT {fn TIMESTAMPDIFF(SQL_TSI_FRAC_SECOND, a, b)} FROM t");
        assert_eq!(
            error.err().unwrap().message,
            "{fn TIMESTAMPDIFF(...)} does not support the interval SQL_TSI_FRAC_SECOND"
        );
        let error = parse("SELECT {fn UCASE(a, b)} FROM t").err().unwrap();
        assert_eq!(
            error.message,
            "syntax error: wrong arguments for {fn UCASE(...)}"
        );
    }

    #[test]
    fn sized_character_casts_cut_to_their_length() {
        assert_eq!(
            sql_of("SELECT CAST(price AS VARCHAR(20)), CAST(x AS VARCHAR) FROM t"),
            "SELECT left(CAST(price AS VARCHAR), 20), CAST(x AS VARCHAR) FROM t"
        );
    }

    #[test]
    fn chains_deeper_than_the_limit_are_refused_and_in_lists_are_not() {
        let chain = |terms: usize| {
            let ors = vec!["Id = 1"; terms].join(" OR ");
            format!("SELECT Id FROM t WHERE {ors}")
        };
        assert!(parse(&chain(MAX_EXPRESSION_DEPTH / 2)).is_ok());
        let error = parse(&chain(MAX_EXPRESSION_DEPTH + 1)).err().unwrap();
        assert!(matches!(error.kind, crate::SqlErrorKind::Syntax));
        assert!(error.message.contains("IN (...)"), "{}", error.message);
        let values = vec!["1"; 5 * MAX_EXPRESSION_DEPTH].join(", ");
        assert!(parse(&format!("SELECT Id FROM t WHERE Id IN ({values})")).is_ok());
    }

    #[test]
    fn parse_errors_are_syntax_errors() {
        let error = parse("SELEC 1").err().unwrap();
        assert!(matches!(error.kind, crate::SqlErrorKind::Syntax));
        assert!(
            error.message.starts_with("syntax error: "),
            "{}",
            error.message
        );
    }
}
