//! SIP over TCP and over IPv6 against the real binary, with SIPp's built-in
//! caller: the call into a room is answered, its media address is of the
//! right family, and its BYE ends it. A caller over TCP that can be reached
//! only on its own connection gets the server's BYE there after the
//! connection idled past the idle timeout. A request to a second address of a wildcard
//! socket is answered from that address. A request over TCP that cannot be framed is
//! answered and counted in `stats()` and among the responses sent.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;
use support::phone::ok_to;
use support::prometheus::scrape;
use support::raw_peer::RawPeer;
use support::server::{Server, base_config, loopback_config};
use support::sip_stream::{SipStream, header};
use support::sipp;
use support::xmlrpc::stats;

/// How long the server may take to log what a finished exchange leads to.
const LOG_TIMEOUT: Duration = Duration::from_secs(10);

fn expect_call_ended_by_bye(server: &Server) {
    let ended = server
        .wait_for_log("call ended", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the call's end to be logged: {e}"));
    assert!(ended.contains("cause=RemoteBye"), "{ended}");
}

#[test]
fn a_call_over_tcp_is_answered_and_ended_by_its_bye() {
    let server = Server::start();
    let tcp = server.sip_on("TCP", false);
    sipp::call_to(
        &server,
        tcp,
        "127.0.0.1",
        &["-sn", "uac", "-t", "t1", "-s", "000777123", "-d", "1000"],
        "a call over TCP answered, and its BYE too",
    );
    expect_call_ended_by_bye(&server);
}

#[test]
fn a_tcp_connection_that_carries_a_call_stays_open_however_long_it_idles() {
    // Connections idle for 1 s close, and a call that sends no RTP ends after 3 s with the
    // server's BYE. The caller is reachable only on the connection it opened, as behind a
    // NAT: its Contact names the connection's own address, where nothing listens.
    let config = base_config()
        .replace("[sip]\n", "[sip]\ntcp_idle_timeout_s = 1\n")
        .replace("[rtp]\n", "[rtp]\ntimeout_s = 3\n");
    let server = Server::start_with(&config);
    let mut caller = TcpCaller::connect(server.sip_on("TCP", false));
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let answer = caller.invite("000777123", media.local_addr().unwrap().port());
    assert!(answer.starts_with("SIP/2.0 200 "), "{answer}");
    caller.ack(&answer);
    // The connection idles: no keepalive, no message either way until the BYE.
    let bye = caller
        .connection
        .next_message(Duration::from_secs(10))
        .unwrap_or_else(|why| panic!("no BYE on the caller's connection: {why}"));
    assert!(bye.starts_with("BYE "), "{bye}");
    caller.answer_ok(&bye);
    server
        .wait_for_log("no RTP received: hanging up", LOG_TIMEOUT)
        .unwrap_or_else(|e| panic!("expected the RTP timeout to end the call: {e}"));
}

#[test]
fn requests_over_tcp_that_cannot_be_framed_are_answered_and_counted() {
    let server = Server::start();
    let tcp = server.sip_on("TCP", false);
    let head = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n\
                Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-framing\r\n\
                From: <sip:b@127.0.0.1>;tag=f\r\nTo: <sip:a@127.0.0.1>\r\n\
                Call-ID: framing@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n";
    let missing = refused_over_tcp(tcp, &format!("{head}\r\n"));
    assert!(missing.starts_with("SIP/2.0 400 "), "{missing}");
    // Over the default limit on a message's size, 16 KiB.
    let large = refused_over_tcp(tcp, &format!("{head}Content-Length: 100000\r\n\r\n"));
    assert!(large.starts_with("SIP/2.0 513 "), "{large}");
    server.await_value("the 400 and the 513 counted", &(1, 1), LOG_TIMEOUT, || {
        let stats = stats(&server);
        (
            stats.get("sip_bad_requests_sent"),
            stats.get("sip_too_large_sent"),
        )
    });
    let metrics = scrape(server.control);
    let responses = "switchyard_sip_responses_sent_total";
    assert_eq!(metrics.value(responses, "class=4xx"), 1.0, "the 400");
    assert_eq!(metrics.value(responses, "class=5xx"), 1.0, "the 513");
}

/// Sends `message` on a new TCP connection to `server`, and returns what is read until the
/// server closes it.
fn refused_over_tcp(server: SocketAddr, message: &str) -> String {
    let mut stream = TcpStream::connect(server).unwrap();
    stream.set_read_timeout(Some(LOG_TIMEOUT)).unwrap();
    stream.write_all(message.as_bytes()).unwrap();
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("no close after {answer:?}: {e}"));
    answer
}

/// A caller over TCP with a connection of its own and no listening socket.
struct TcpCaller {
    connection: SipStream<TcpStream>,
    server: SocketAddr,
    local: SocketAddr,
}

impl TcpCaller {
    fn connect(server: SocketAddr) -> TcpCaller {
        let stream = TcpStream::connect(server).unwrap();
        let local = stream.local_addr().unwrap();
        TcpCaller {
            connection: SipStream::new(stream),
            server,
            local,
        }
    }

    /// Sends an INVITE for `user` offering PCMU at `rtp_port` on loopback, and
    /// returns the first final response.
    fn invite(&mut self, user: &str, rtp_port: u16) -> String {
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
        );
        let (local, server) = (self.local, self.server);
        self.connection.send(&format!(
            "INVITE sip:{user}@{server} SIP/2.0\r\n\
             Via: SIP/2.0/TCP {local};branch=z9hG4bK-tcp-idle-1;rport\r\n\
             From: <sip:caller@{local}>;tag=caller-1\r\nTo: <sip:{user}@{server}>\r\n\
             Call-ID: tcp-idle@{local}\r\nCSeq: 1 INVITE\r\n\
             Contact: <sip:caller@{local};transport=tcp>\r\nMax-Forwards: 70\r\n\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        ));
        self.connection.final_response("INVITE")
    }

    /// Acknowledges `answer`, a 2xx to the INVITE.
    fn ack(&mut self, answer: &str) {
        let (local, server) = (self.local, self.server);
        let to = header(answer, "To");
        self.connection.send(&format!(
            "ACK sip:000777123@{server};transport=tcp SIP/2.0\r\n\
             Via: SIP/2.0/TCP {local};branch=z9hG4bK-tcp-idle-2;rport\r\n\
             From: <sip:caller@{local}>;tag=caller-1\r\nTo: {to}\r\n\
             Call-ID: tcp-idle@{local}\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\n\
             Content-Length: 0\r\n\r\n"
        ));
    }

    /// Answers `request` 200 OK.
    fn answer_ok(&mut self, request: &str) {
        self.connection.send(&ok_to(request));
    }
}

#[test]
fn a_call_over_ipv6_is_answered_with_ipv6_media_and_ended_by_its_bye() {
    support::tools::require_ipv6_loopback();
    let port_min = 21000 + (std::process::id() % 200) as u16 * 40;
    let config = loopback_config("info,switchyard=debug", port_min, port_min + 39)
        .replace(
            "listen = \"127.0.0.1:0\"\n[control]",
            "listen = [\"127.0.0.1:0\", \"[::1]:0\"]\n[control]",
        )
        .replace("address = \"127.0.0.1\"", "address = \"::1\"");
    // RTP only on ::1: the call can only be answered with IPv6 media.
    let server = Server::start_with(&config);
    let udp6 = server.sip_on("UDP", true);
    sipp::call_to(
        &server,
        udp6,
        "::1",
        &[
            "-sf",
            &sipp::scenario("uac_ipv6_media.xml"),
            "-s",
            "000777123",
        ],
        "a call over IPv6 answered with media on ::1 (c=IN IP6 ::1), and its BYE too",
    );
    expect_call_ended_by_bye(&server);
}

#[test]
fn a_call_to_a_second_address_of_a_wildcard_socket_is_answered_from_that_address() {
    // Every 127/8 address is this host's, and the kernel's own choice of source towards
    // 127.0.0.1 is 127.0.0.1: only the address each request arrived at gives 127.0.0.9
    // (RFC 3581 §4: a response leaves from where its request came to).
    let config = base_config().replace(
        "listen = \"127.0.0.1:0\"\n[control]",
        "listen = \"0.0.0.0:0\"\n[control]",
    );
    let server = Server::start_with(&config);
    let second = SocketAddr::from(([127, 0, 0, 9], server.sip_on("UDP", false).port()));

    let pinger = RawPeer::on("127.0.0.1", second);
    let options = pinger.request("OPTIONS", "1 OPTIONS", "", "Max-Forwards: 70\r\n", "");
    let (pong, from) = exchange_from(&server, &pinger, &options);
    assert!(pong.starts_with("SIP/2.0 200 "), "{pong}");
    assert_eq!(from, second, "{pong}");

    let caller = RawPeer::on("127.0.0.1", second);
    let media = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {} RTP/AVP 0\r\n",
        media.local_addr().unwrap().port()
    );
    let invite = caller.request(
        "INVITE",
        "1 INVITE",
        "",
        "Max-Forwards: 70\r\nContent-Type: application/sdp\r\n",
        &sdp,
    );
    let (answer, from) = exchange_from(&server, &caller, &invite);
    assert!(answer.starts_with("SIP/2.0 200 "), "{answer}");
    assert_eq!(from, second, "{answer}");
    let contact = header(&answer, "Contact");
    assert!(contact.contains(&second.to_string()), "{contact}");
    let to_tag = header(&answer, "To")
        .split("tag=")
        .nth(1)
        .expect("a To tag");
    let extra = "Max-Forwards: 70\r\n";
    caller.send(caller.request("ACK", "1 ACK", to_tag, extra, "").as_bytes());
    let bye = caller.request("BYE", "2 BYE", to_tag, extra, "");
    let (ok, from) = exchange_from(&server, &caller, &bye);
    assert!(ok.starts_with("SIP/2.0 200 "), "{ok}");
    assert_eq!(from, second, "{ok}");
    expect_call_ended_by_bye(&server);
}

/// Sends `request` from `peer` and returns its final answer and where that came from;
/// panics, showing the server's log, if none comes.
fn exchange_from(server: &Server, peer: &RawPeer, request: &str) -> (String, SocketAddr) {
    peer.send(request.as_bytes());
    peer.final_answer_from()
        .unwrap_or_else(|| panic!("no answer to:\n{request}\nserver log:\n{}", server.log()))
}
