//! The serial line protocol between the agent and a board (`protocols.md` §5): 115200 baud,
//! ASCII lines ending in `\n`.
//!
//! | board → agent | agent → board |
//! |---|---|
//! | `HELLO <firmware> <version> cmds=A,B,C` | `CMD <seq> <NAME> <duration_ms>[ key=value…]` |
//! | `OK <seq>` · `ERR <seq> <reason>` | `PING <seq>` |
//! | `PONG <seq>` | `STOP` |

use std::fmt;

/// Longest line either side sends; an Arduino reads into a fixed buffer.
pub const MAX_LINE: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentLine {
    Cmd {
        seq: u32,
        name: String,
        duration_ms: u32,
        params: Vec<(String, String)>,
    },
    Ping {
        seq: u32,
    },
    Stop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardLine {
    Hello {
        firmware: String,
        version: String,
        commands: Vec<String>,
    },
    Ok {
        seq: u32,
    },
    Err {
        seq: u32,
        reason: String,
    },
    Pong {
        seq: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("line longer than {MAX_LINE} bytes")]
    TooLong,
    #[error("not ASCII or has control characters")]
    NotPlain,
    #[error("unknown line {0:?}")]
    Unknown(String),
    #[error("malformed {0} line")]
    Malformed(&'static str),
    #[error("parameter {0:?} cannot travel on a serial line")]
    BadParam(String),
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl AgentLine {
    /// A `CMD` line for a command, refusing names and parameters that would not survive the
    /// trip (spaces, `=`, newlines, non-ASCII) or a line over [`MAX_LINE`].
    pub fn command(
        seq: u32,
        name: &str,
        duration_ms: u32,
        params: &serde_json::Value,
    ) -> Result<AgentLine, LineError> {
        if !is_word(name) {
            return Err(LineError::BadParam(name.to_owned()));
        }
        let mut pairs = Vec::new();
        if let Some(map) = params.as_object() {
            for (key, value) in map {
                let value = match value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => return Err(LineError::BadParam(key.clone())),
                };
                if !is_word(key) || !is_word(&value) {
                    return Err(LineError::BadParam(key.clone()));
                }
                pairs.push((key.clone(), value));
            }
        } else if !params.is_null() {
            return Err(LineError::BadParam("params".into()));
        }
        let line = AgentLine::Cmd {
            seq,
            name: name.to_owned(),
            duration_ms,
            params: pairs,
        };
        if line.to_string().len() > MAX_LINE {
            return Err(LineError::TooLong);
        }
        Ok(line)
    }

    /// The bytes to write, newline included.
    pub fn encode(&self) -> Vec<u8> {
        format!("{self}\n").into_bytes()
    }
}

impl fmt::Display for AgentLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentLine::Cmd {
                seq,
                name,
                duration_ms,
                params,
            } => {
                write!(f, "CMD {seq} {name} {duration_ms}")?;
                for (k, v) in params {
                    write!(f, " {k}={v}")?;
                }
                Ok(())
            }
            AgentLine::Ping { seq } => write!(f, "PING {seq}"),
            AgentLine::Stop => f.write_str("STOP"),
        }
    }
}

impl BoardLine {
    /// Parses one line from a board (without its `\n`; a trailing `\r` is tolerated).
    pub fn parse(line: &str) -> Result<BoardLine, LineError> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.len() > MAX_LINE {
            return Err(LineError::TooLong);
        }
        if !line.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(LineError::NotPlain);
        }
        let mut words = line.split(' ');
        let seq = |w: Option<&str>, what| {
            w.and_then(|s| s.parse::<u32>().ok())
                .ok_or(LineError::Malformed(what))
        };
        match words.next().unwrap_or_default() {
            "HELLO" => {
                let (Some(firmware), Some(version), Some(cmds)) =
                    (words.next(), words.next(), words.next())
                else {
                    return Err(LineError::Malformed("HELLO"));
                };
                let commands = cmds
                    .strip_prefix("cmds=")
                    .ok_or(LineError::Malformed("HELLO"))?;
                Ok(BoardLine::Hello {
                    firmware: firmware.to_owned(),
                    version: version.to_owned(),
                    commands: commands
                        .split(',')
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            }
            "OK" => Ok(BoardLine::Ok {
                seq: seq(words.next(), "OK")?,
            }),
            "PONG" => Ok(BoardLine::Pong {
                seq: seq(words.next(), "PONG")?,
            }),
            "ERR" => {
                let seq = seq(words.next(), "ERR")?;
                let reason = words.collect::<Vec<_>>().join(" ");
                Ok(BoardLine::Err {
                    seq,
                    reason: if reason.is_empty() {
                        "error".into()
                    } else {
                        reason
                    },
                })
            }
            _ => Err(LineError::Unknown(line.chars().take(32).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agent_lines_are_encoded_exactly() {
        let cmd =
            AgentLine::command(7, "MOTOR_SPIN", 1000, &json!({"speed": 80, "dir": "cw"})).unwrap();
        // serde_json keeps keys sorted.
        assert_eq!(cmd.encode(), b"CMD 7 MOTOR_SPIN 1000 dir=cw speed=80\n");
        assert_eq!(AgentLine::Ping { seq: 3 }.encode(), b"PING 3\n");
        assert_eq!(AgentLine::Stop.encode(), b"STOP\n");
        assert_eq!(
            AgentLine::command(1, "A", 0, &json!({}))
                .unwrap()
                .to_string(),
            "CMD 1 A 0"
        );
    }

    #[test]
    fn unsafe_commands_never_become_lines() {
        for params in [
            json!({"x": "a b"}),
            json!({"x": "a\nSTOP"}),
            json!({"x=y": 1}),
            json!({"x": [1]}),
            json!({"x": "é"}),
            json!([1]),
        ] {
            assert!(AgentLine::command(1, "A", 0, &params).is_err(), "{params}");
        }
        assert!(AgentLine::command(1, "A B", 0, &json!({})).is_err());
        assert_eq!(
            AgentLine::command(1, "A", 0, &json!({"k": "v".repeat(200)})),
            Err(LineError::TooLong)
        );
    }

    #[test]
    fn board_lines_parse() {
        assert_eq!(
            BoardLine::parse("HELLO livectl-uno 1.0 cmds=LED_ON,MOTOR_SPIN\r").unwrap(),
            BoardLine::Hello {
                firmware: "livectl-uno".into(),
                version: "1.0".into(),
                commands: vec!["LED_ON".into(), "MOTOR_SPIN".into()]
            }
        );
        assert_eq!(
            BoardLine::parse("OK 12").unwrap(),
            BoardLine::Ok { seq: 12 }
        );
        assert_eq!(
            BoardLine::parse("PONG 4").unwrap(),
            BoardLine::Pong { seq: 4 }
        );
        assert_eq!(
            BoardLine::parse("ERR 5 unknown command").unwrap(),
            BoardLine::Err {
                seq: 5,
                reason: "unknown command".into()
            }
        );
        for bad in [
            "",
            "OK",
            "OK x",
            "HELLO a",
            "HELLO a b c",
            "WHAT 1",
            "OK 1\u{7}",
            &"OK 1 ".repeat(40),
        ] {
            assert!(BoardLine::parse(bad).is_err(), "{bad:?}");
        }
    }
}
