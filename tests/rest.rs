//! The REST/JSON control routes against the real binary, with Python's
//! standard library as the client: they answer what XML-RPC answers for the
//! same function, their errors are RFC 9457 problems, and the OpenAPI
//! document at /openapi.json validates and covers every route.

mod support;

use std::process::Command;
use support::phone::Phone;
use support::rest::rest_script as script;
use support::server::Server;
use support::tools::python_with;

#[test]
fn rest_and_xmlrpc_answer_the_same_for_the_same_function() {
    let server = Server::start();
    let phone = Phone::call(server.sip, "000777123", "alice", &[]);
    let out = script(
        &server,
        "status, kind, room = rest('GET', '/api/v1/rooms/123')\n\
         assert (status, kind) == (200, 'application/json'), (status, kind)\n\
         assert room == s.switchyard.room('123'), (room, s.switchyard.room('123'))\n\
         assert rest('GET', '/api/v1/rooms')[2] == s.switchyard.rooms()\n\
         call = room['participants'][0]['call']\n\
         assert rest('POST', f'/api/v1/rooms/123/participants/{call}/mute')[2] is True\n\
         assert s.switchyard.room('123')['participants'][0]['muted'] is True\n\
         assert s.switchyard.unmute('123', call) is True\n\
         assert rest('GET', '/api/v1/rooms/123')[2]['participants'][0]['muted'] is False\n\
         assert rest('GET', '/api/v1/stats')[2]['rooms'] == s.stats()['rooms']\n\
         print(room['participants'][0]['number'], rest('GET', '/api/v1/rooms')[2])\n",
    );
    assert_eq!(
        out.trim(),
        "<sip:alice@127.0.0.1> [{'room': '123', 'participants': 1, 'locked': False}]",
        "the room as both protocols show it"
    );
    let out = script(
        &server,
        "status, kind, problem = rest('GET', '/api/v1/rooms/999')[:3]\n\
         try:\n    s.switchyard.room('999')\n\
         except xmlrpc.client.Fault as fault:\n    same = (fault.faultCode, fault.faultString) == (problem['fault_code'], problem['detail'])\n\
         print(status, kind, problem['title'], problem['detail'], same)\n\
         print(*rest('POST', '/api/v1/rooms/123/recording', {'name': 7})[::2])\n\
         print(*rest('POST', '/api/v1/rooms/123/recording', {})[::2])\n\
         status, kind, problem, allowed = rest('PATCH', '/api/v1/rooms/123/recording')\n\
         print(status, allowed)\n\
         print(rest('GET', '/api/v1/nothing')[0])\n\
         request = urllib.request.Request(base + '/api/v1/rooms/123/recording', data=b'{', method='POST', headers={'Content-Type': 'application/json'})\n\
         try:\n    urllib.request.urlopen(request)\n\
         except urllib.error.HTTPError as error:\n    print(error.code, json.loads(error.read())['detail'][:20])\n",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "404 application/problem+json Not Found no room 999 True",
            "400 {'type': 'about:blank', 'title': 'Bad Request', 'status': 400, 'detail': 'body member \"name\" must be a string, not 7'}",
            "400 {'type': 'about:blank', 'title': 'Bad Request', 'status': 400, 'detail': 'the JSON body needs a string member \"name\"'}",
            "405 POST, DELETE",
            "404",
            "400 the body is not JSON",
        ],
        "{out}"
    );
    phone.hang_up();
}

#[test]
fn the_openapi_document_validates_and_every_route_in_it_is_served() {
    let server = Server::start();
    let validator = python_with("openapi-spec-validator", "0.9.0");
    let url = format!("http://{}/openapi.json", server.control);
    let checked = Command::new(&validator)
        .args([
            "-c",
            "import json, sys, urllib.request\n\
             from openapi_spec_validator import validate\n\
             document = json.load(urllib.request.urlopen(sys.argv[1], timeout=30))\n\
             validate(document)\n\
             base = sys.argv[1].rsplit('/', 1)[0]\n\
             for path, item in document['paths'].items():\n\
             \x20   for method in item:\n\
             \x20       concrete = path.replace('{', 'x').replace('}', '')\n\
             \x20       request = urllib.request.Request(base + concrete, data=b'{}' if method != 'get' else None, method=method.upper(), headers={'Content-Type': 'application/json'})\n\
             \x20       try:\n\
             \x20           status = urllib.request.urlopen(request, timeout=30).status\n\
             \x20       except urllib.error.HTTPError as error:\n\
             \x20           status = error.code\n\
             \x20           body = error.read().decode()\n\
             \x20           assert status != 405 and 'no route' not in body, (method, path, status, body)\n\
             \x20       print(method, path, status)\n",
            &url,
        ])
        .output()
        .expect("running the validator");
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "the document must validate and each route be served:\n{out}{}\nserver log:\n{}",
        String::from_utf8_lossy(&checked.stderr),
        server.log()
    );
    let served = out.lines().count();
    assert!(served >= 13, "every documented route was tried: {out}");
    assert!(out.contains("get /api/v1/rooms 200"), "{out}");
}

#[test]
fn a_recording_is_listed_and_downloads_whole_or_by_range_as_an_attachment() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{}[recording]\ndir = \"{}\"\n",
        support::server::base_config(),
        dir.path().display()
    );
    let server = Server::start_with(&config);
    let phone = Phone::call(server.sip, "000777123", "rita", &[]);
    let started = script(
        &server,
        "print(rest('POST', '/api/v1/rooms/123/recording', {'name': 'board'})[:3])\n",
    );
    assert_eq!(started.trim(), "(200, 'application/json', True)");
    phone.talk(700.0, std::time::Duration::from_millis(1500));
    let stopped = script(
        &server,
        "print(rest('DELETE', '/api/v1/rooms/123/recording')[2])\n",
    );
    assert_eq!(stopped.trim(), "True");
    server
        .wait_for_log("recording complete", std::time::Duration::from_secs(10))
        .expect("the recording completes");
    let file = dir.path().join("board.wav");
    let size = std::fs::metadata(&file).unwrap().len();
    let out = script(
        &server,
        &format!(
            "listed = rest('GET', '/api/v1/recordings')[2]\n\
             assert listed == s.switchyard.recordings(), (listed, s.switchyard.recordings())\n\
             print([(r['name'], r['bytes']) for r in listed])\n\
             disk = open('{}', 'rb').read()\n\
             with urllib.request.urlopen(base + '/api/v1/recordings/board.wav', timeout=30) as answer:\n\
             \x20   body = answer.read()\n\
             \x20   print(answer.status, answer.headers['Content-Length'], answer.headers['Content-Disposition'], answer.headers['Accept-Ranges'], body == disk)\n\
             request = urllib.request.Request(base + '/api/v1/recordings/board.wav', headers={{'Range': 'bytes=0-43'}})\n\
             with urllib.request.urlopen(request, timeout=30) as answer:\n\
             \x20   body = answer.read()\n\
             \x20   print(answer.status, answer.headers['Content-Range'], len(body), body == disk[:44])\n\
             request = urllib.request.Request(base + '/api/v1/recordings/board.wav', headers={{'Range': 'bytes=%d-' % len(disk)}})\n\
             try:\n    urllib.request.urlopen(request, timeout=30)\n\
             except urllib.error.HTTPError as error:\n    print(error.code, error.headers['Content-Range'])\n\
             try:\n    urllib.request.urlopen(base + '/api/v1/recordings/..%2Fswitchyard.toml', timeout=30)\n\
             except urllib.error.HTTPError as error:\n    print(error.code)\n",
            file.display()
        ),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!("[('board.wav', {size})]"),
            format!("200 {size} attachment; filename=\"board.wav\" bytes True"),
            format!("206 bytes 0-43/{size} 44 True"),
            format!("416 bytes */{size}"),
            "404".to_owned(),
        ],
        "{out}"
    );

    // Deleted once no room is recorded to it; the one being written is not.
    let out = script(
        &server,
        "print(rest('POST', '/api/v1/rooms/123/recording', {'name': 'live'})[:3])\n\
         print(rest('DELETE', '/api/v1/recordings/live.wav')[0])\n\
         print(rest('DELETE', '/api/v1/recordings/board.wav')[:3])\n\
         names = lambda listed: [r['name'] for r in listed]\n\
         print(names(rest('GET', '/api/v1/recordings')[2]) == names(s.switchyard.recordings()))\n\
         print(names(rest('GET', '/api/v1/recordings')[2]))\n\
         print(rest('DELETE', '/api/v1/recordings/board.wav')[0])\n\
         print(rest('DELETE', '/api/v1/recordings/notes.txt')[0])\n\
         print(rest('POST', '/api/v1/recordings/board.wav')[3])\n\
         print(rest('DELETE', '/api/v1/rooms/123/recording')[2])\n",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "(200, 'application/json', True)",
            "409",
            "(200, 'application/json', True)",
            "True",
            "['live.wav']",
            "404",
            "400",
            "GET, HEAD, DELETE",
            "True",
        ],
        "{out}"
    );
    assert!(!file.exists(), "board.wav is gone from the directory");
    phone.hang_up();
}

#[test]
fn a_recording_is_refused_while_the_recordings_take_their_space_and_deleting_one_frees_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.wav"), vec![0u8; 1 << 20]).unwrap();
    let config = format!(
        "{}[recording]\ndir = \"{}\"\nmax_total_mb = 1\n",
        support::server::base_config(),
        dir.path().display()
    );
    let server = Server::start_with(&config);
    let phone = Phone::call(server.sip, "000777123", "rita", &[]);
    let out = script(
        &server,
        "status, kind, problem = rest('POST', '/api/v1/rooms/123/recording', {'name': 'new'})[:3]\n\
         print(status, kind, 'max_total_mb' in problem['detail'], problem['detail'])\n\
         print(rest('DELETE', '/api/v1/recordings/old.wav')[0])\n\
         print(rest('POST', '/api/v1/rooms/123/recording', {'name': 'new'})[:3])\n\
         print(rest('DELETE', '/api/v1/rooms/123/recording')[2])\n",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(
        lines[0].starts_with("409 application/problem+json True"),
        "{out}"
    );
    assert_eq!(
        lines[1..],
        ["200", "(200, 'application/json', True)", "True"],
        "{out}"
    );
    phone.hang_up();
}

#[test]
fn a_locked_room_admits_nobody_new_and_a_dial_out_joins_the_room_when_answered() {
    use support::audio::assert_each_hears_the_other;
    use support::phone::Listening;

    let server = Server::start();
    let alice = Phone::call(server.sip, "000777123", "alice", &[]);
    let locked = script(
        &server,
        "print(rest('PUT', '/api/v1/rooms/123/lock')[2], s.switchyard.room('123')['locked'])\n",
    );
    assert_eq!(locked.trim(), "True True");
    let mut refused = Phone::dial(server.sip, "000777123", "mallory", &[]);
    let code = refused.await_answer();
    let bye = code == 200 && refused.await_bye(std::time::Duration::from_secs(10));
    assert!(
        code != 200 || bye,
        "a caller to a locked room is refused or hung up ({code})"
    );
    let count = script(
        &server,
        "print(rest('GET', '/api/v1/rooms')[2][0]['participants'])\n",
    );
    assert_eq!(count.trim(), "1", "nobody new joined the locked room");
    let unlocked = script(
        &server,
        "print(rest('DELETE', '/api/v1/rooms/123/lock')[2])\n",
    );
    assert_eq!(unlocked.trim(), "True");

    let bob = Listening::new();
    let uri = bob.uri("bob");
    let answering = std::thread::spawn(move || bob.answer(std::time::Duration::from_secs(10)));
    let placed = script(
        &server,
        &format!("print(rest('POST', '/api/v1/rooms/123/dialout', {{'uri': '{uri}'}})[2])\n"),
    );
    assert!(
        placed.trim().starts_with('c'),
        "the new call's id: {placed}"
    );
    let bob = answering.join().unwrap();
    let heard = std::thread::scope(|scope| {
        let a = scope.spawn(|| alice.talk(700.0, std::time::Duration::from_secs(2)));
        let b = scope.spawn(|| bob.talk(1200.0, std::time::Duration::from_secs(2)));
        [a.join().unwrap(), b.join().unwrap()]
    });
    assert_each_hears_the_other(&heard, [700.0, 1200.0]);
    let numbers = script(
        &server,
        "print(sorted(p['number'] for p in s.switchyard.room('123')['participants'] if p['status'] == 3))\n",
    );
    assert_eq!(numbers.trim(), "['<sip:alice@127.0.0.1>', 'bob']");
}

#[test]
fn a_dial_out_into_a_room_that_does_not_exist_is_not_found_and_opens_none() {
    let server = Server::start();
    let out = script(
        &server,
        "before = rest('GET', '/api/v1/rooms')[2]\n\
         status, kind, answer = rest('POST', '/api/v1/rooms/ghost/dialout', {'uri': 'sip:bob@127.0.0.1:9'})[:3]\n\
         print(status, kind, *((answer['fault_code'], answer['detail']) if status != 200 else (answer,)))\n\
         try:\n    print('placed', s.switchyard.dialout('ghost2', 'sip:bob@127.0.0.1:9'))\n\
         except xmlrpc.client.Fault as fault:\n    print(fault.faultCode, fault.faultString)\n\
         print(before, rest('GET', '/api/v1/rooms')[2], s.switchyard.rooms())\n",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "404 application/problem+json 404 no such room",
            "404 no such room",
            "[] [] []",
        ],
        "refused, and no room was opened: {out}"
    );
}
