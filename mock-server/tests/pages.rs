//! What the site serves, and how it starts and stops.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use mock_server::{page_body, MockSite, Page, ServerConfig, StartError};

use crate::util;

fn fast_config() -> ServerConfig {
    ServerConfig {
        latency: Duration::ZERO,
        jython_bytes: 50_000,
        dice_bytes: 2_000,
        ..ServerConfig::default()
    }
}

#[tokio::test]
async fn each_page_is_served_with_exact_bytes_and_html_type() {
    let site = MockSite::start(fast_config()).await.unwrap();
    let client = util::client();
    for page in Page::ALL {
        let response = client.get(site.url(page)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert_eq!(content_type, "text/html", "{page}");
        let body = response.bytes().await.unwrap();
        let expected = page_body(page, site.config().body_len(page));
        assert_eq!(body.len(), site.config().body_len(page), "{page}");
        assert!(
            body[..] == expected[..],
            "{page}: body differs from page_body"
        );
    }
    assert_eq!(site.requests_served(), 2);
}

#[tokio::test]
async fn other_paths_get_404_and_are_not_counted() {
    let site = MockSite::start(fast_config()).await.unwrap();
    let client = util::client();
    for path in ["/", "/jython/", "/dice2", "/Dice", "/nope", "/jython/extra"] {
        let url = format!("{}{}", site.base_url(), path);
        let (status, _, _) = util::get(&client, &url).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(site.requests_served(), 0);
}

#[tokio::test]
async fn custom_sizes_are_honoured() {
    let config = ServerConfig {
        jython_bytes: 123_457,
        dice_bytes: 1,
        ..fast_config()
    };
    let site = MockSite::start(config).await.unwrap();
    let client = util::client();
    for (page, len) in [(Page::Jython, 123_457), (Page::Dice, 1)] {
        let (status, body, _) = util::get(&client, &site.url(page)).await;
        assert_eq!(status, 200);
        assert_eq!(body, page_body(page, len), "{page}");
    }
}

#[test]
fn urls_have_the_documented_shape() {
    let site = MockSite::start_blocking(fast_config()).unwrap();
    let base = site.base_url();
    let port: u16 = base
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    assert_eq!(site.address().port(), port);
    assert_eq!(site.url(Page::Jython), format!("{base}/jython"));
    assert_eq!(site.url(Page::Dice), format!("{base}/dice"));
}

/// Polls until nothing accepts connections on `addr` any more.
fn wait_until_closed(addr: SocketAddr) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn start_blocking_from_sync_code_serves_and_drop_shuts_it_down() {
    let site = MockSite::start_blocking(fast_config()).unwrap();
    let addr = site.address();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body, _) =
        runtime.block_on(async { util::get(&util::client(), &site.url(Page::Dice)).await });
    assert_eq!((status, body.len()), (200, 2_000));
    drop(site);
    assert!(wait_until_closed(addr), "still accepting after drop");
}

#[tokio::test]
async fn start_blocking_and_drop_inside_a_runtime_do_not_panic() {
    // The classic trap: owning a runtime and dropping it inside another one panics.
    let site = MockSite::start_blocking(fast_config()).unwrap();
    let (status, _, _) = util::get(&util::client(), &site.url(Page::Jython)).await;
    assert_eq!(status, 200);
    let addr = site.address();
    drop(site);
    assert!(tokio::task::spawn_blocking(move || wait_until_closed(addr))
        .await
        .unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_start_and_drop_on_a_multi_thread_runtime() {
    let site = MockSite::start(fast_config()).await.unwrap();
    let (status, _, _) = util::get(&util::client(), &site.url(Page::Dice)).await;
    assert_eq!(status, 200);
    drop(site);
}

#[test]
fn invalid_config_is_refused_naming_the_field() {
    let config = ServerConfig {
        jython_bytes: 0,
        ..ServerConfig::default()
    };
    match MockSite::start_blocking(config) {
        Err(StartError::Config(e)) => {
            assert_eq!(e.field, "jython_bytes");
            assert!(e.to_string().contains("jython_bytes"), "{e}");
        }
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_busy_address_is_a_bind_error() {
    let first = MockSite::start(fast_config()).await.unwrap();
    match MockSite::start_at(first.address(), fast_config()).await {
        Err(e @ StartError::Bind { .. }) => {
            assert!(e.to_string().contains(&first.address().to_string()), "{e}")
        }
        other => panic!("expected a bind error, got {other:?}"),
    }
}
