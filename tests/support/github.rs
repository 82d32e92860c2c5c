//! A GitHub REST API stand-in on 127.0.0.1 for the Deployments calls: it records every request
//! (method, path, headers, JSON body) and answers like api.github.com, including its errors.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the server behaves.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Like GitHub: 201 with a deployment (id 4242) or a status; 401 for another token.
    Normal,
    /// The first `n` requests get `status` with `headers` and GitHub's error body; then Normal.
    FailFirst {
        n: usize,
        status: u16,
        headers: Vec<(String, String)>,
        message: String,
    },
    /// Every request gets `status` with this message.
    Always { status: u16, message: String },
    /// Requests are read and never answered (a GitHub that hangs).
    Hang,
}

pub const DEPLOYMENT_ID: u64 = 4242;

pub struct FakeGitHub {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeGitHub {
    pub fn start(mode: Mode, token: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let seen = Arc::clone(&requests);
        let token = token.to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = Arc::clone(&seen);
                let mode = mode.clone();
                let token = token.clone();
                std::thread::spawn(move || serve(stream, &seen, &mode, &token));
            }
        });
        Self { url, requests }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Request>>, mode: &Mode, token: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    // Keep-alive: several requests may come on one connection.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let request = Request {
            method,
            path,
            headers,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        };
        let index = {
            let mut seen = seen.lock().unwrap();
            seen.push(request.clone());
            seen.len() - 1
        };
        if matches!(mode, Mode::Hang) {
            std::thread::sleep(std::time::Duration::from_mins(10));
            return;
        }
        let (status, extra, body) = answer(&request, index, mode, token);
        let body = body.to_string();
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n",
            reason(status),
            body.len()
        );
        for (name, value) in extra {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        head.push_str("\r\n");
        if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body.as_bytes()).is_err()
        {
            return;
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        _ => "Error",
    }
}

fn error(message: &str) -> Value {
    json!({"message": message, "documentation_url": "https://docs.github.com/rest/deployments/deployments", "status": "error"})
}

fn answer(
    request: &Request,
    index: usize,
    mode: &Mode,
    token: &str,
) -> (u16, Vec<(String, String)>, Value) {
    match mode {
        Mode::FailFirst {
            n,
            status,
            headers,
            message,
        } if index < *n => {
            return (*status, headers.clone(), error(message));
        }
        Mode::Always { status, message } => return (*status, Vec::new(), error(message)),
        _ => {}
    }
    if request.header("authorization") != Some(&format!("Bearer {token}")) {
        return (401, Vec::new(), error("Bad credentials"));
    }
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", ["repos", owner, repo, "deployments"]) => (
            201,
            Vec::new(),
            json!({
                "url": format!("https://api.github.com/repos/{owner}/{repo}/deployments/{DEPLOYMENT_ID}"),
                "id": DEPLOYMENT_ID,
                "sha": request.body["ref"],
                "ref": request.body["ref"],
                "environment": request.body["environment"],
                "payload": request.body["payload"],
            }),
        ),
        ("POST", ["repos", _, _, "deployments", id, "statuses"]) if id.parse::<u64>().is_ok() => (
            201,
            Vec::new(),
            json!({"id": index + 1, "state": request.body["state"], "description": request.body["description"]}),
        ),
        _ => (404, Vec::new(), error("Not Found")),
    }
}
