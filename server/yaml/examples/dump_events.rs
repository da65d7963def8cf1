//! Prints saphyr's events with their spans (character indices), for checking ranges.
use saphyr_parser::Parser;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let chars: Vec<char> = text.chars().collect();
    let mut parser = Parser::new_from_str(&text);
    while let Some(ev) = parser.next_event() {
        match ev {
            Ok((ev, span)) => {
                let (s, e) = (span.start.index(), span.end.index());
                let src: String = chars.get(s..e.max(s)).map(|c| c.iter().collect()).unwrap_or_default();
                println!("{s}..{e} {ev:?} {src:?}");
            }
            Err(err) => {
                println!("ERR {} {:?}", err.marker().index(), err.info());
                break;
            }
        }
    }
}
