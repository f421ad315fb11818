//! The everyday activity of the demo app, one burst at a time: a click that fires a request and
//! a log line, a failing checkout with its unhandled rejection, chat messages on the page's
//! socket, the user picking an element, a link to another page. Weighted so trouble is
//! frequent enough to see and rare enough to look real.

use serde_json::{json, Value};

use super::catalog::{cart_json, order_json, products_json, ADMIN_ELEMENTS, SHOP_ELEMENTS};
use super::payloads::{
    at, console, element_selected, exception, frame, network_error, stack, text_frame, Element, Event,
    Exchange, Loc, CLIENT_TO_SERVER, SERVER_TO_CLIENT,
};
use super::site::{SocketKind, Tab};
use super::traffic::{Burst, Load, Traffic};

impl Traffic {
    pub(super) fn scenario(&mut self, tab: &mut Tab, b: &mut Burst) {
        // Weights: everyday traffic first, trouble less often.
        const WEIGHTS: [u32; 20] = [10, 8, 6, 3, 3, 5, 6, 3, 3, 3, 3, 3, 4, 8, 3, 2, 3, 6, 1, 1];
        match self.rng.weighted(&WEIGHTS) {
            0 => self.browse_products(tab, b),
            1 => self.add_to_cart(tab, b),
            2 => self.order_details(tab, b),
            3 => self.update_order(tab, b),
            4 => self.remove_cart_item(tab, b),
            5 => self.graphql(tab, b),
            6 => self.images(tab, b),
            7 => self.session_expired(tab, b),
            8 => self.checkout_fails(tab, b),
            9 => self.type_error(tab, b),
            10 => self.react_warning(tab, b),
            11 => self.request_fails(tab, b),
            12 => self.polling(tab, b),
            13 => self.socket_messages(tab, b),
            14 => self.socket_ping(b),
            15 => self.socket_binary(b),
            16 => self.pick_element(tab, b),
            17 => self.chatter(tab, b),
            18 => self.trace(tab, b),
            _ => self.wander(tab, b),
        }
    }

    fn api(&self, tab: &Tab, path: &str) -> String {
        format!("{}{path}", tab.origin())
    }

    fn log(&self, tab: &Tab, b: &mut Burst, level: &str, message: &str, args: Vec<Value>, loc: Loc) {
        b.push(console(level, message, args, tab.origin(), loc, None));
    }

    fn browse_products(&mut self, tab: &Tab, b: &mut Burst) {
        let page = self.rng.range(1, 5);
        let status = if self.rng.chance(0.25) { 304 } else { 200 };
        let ms = if status == 304 { self.rng.range(15, 40) } else { self.rng.range(60, 320) };
        let x = Exchange::new("GET", self.api(tab, &format!("/api/products?page={page}")), status)
            .body(None, (status == 200).then(|| products_json(page)))
            .took(ms);
        b.push(x.event(tab, &mut self.rng));
        b.wait(self.rng.range(5, 30));
        self.log(
            tab,
            b,
            "debug",
            "[store] products/fetchPage fulfilled",
            vec![json!("[store] products/fetchPage fulfilled"), json!({ "page": page, "count": 24 })],
            at("app.js", 2087, 13),
        );
    }

    fn add_to_cart(&mut self, tab: &Tab, b: &mut Burst) {
        let sku = *self.rng.pick(&["TR-42-BLK-44", "HX-07-RED-M", "CP-11-NAV-L", "BT-03-GRY-42"]);
        self.log(
            tab,
            b,
            "log",
            "Adding to cart",
            vec![json!("Adding to cart"), json!({ "sku": sku, "qty": 1 })],
            at("app.js", 1408, 11),
        );
        b.wait(self.rng.range(2, 10));
        let items = self.rng.range(1, 6);
        let x = Exchange::new("POST", self.api(tab, "/api/cart"), 201)
            .body(Some(json!({ "sku": sku, "qty": 1 })), Some(cart_json(items)))
            .took(self.rng.range(70, 260));
        b.push(x.event(tab, &mut self.rng));
        b.wait(self.rng.range(5, 25));
        self.log(
            tab,
            b,
            "info",
            &format!("Cart updated: {items} items"),
            vec![json!(format!("Cart updated: {items} items"))],
            at("app.js", 1433, 9),
        );
        if let Some(socket) = self.socket.as_mut().filter(|s| s.open) {
            b.wait(self.rng.range(20, 80));
            b.push(text_frame(
                socket,
                SERVER_TO_CLIENT,
                &json!({ "type": "cart.updated", "items": items, "total": 129.9 }),
            ));
        }
    }

    fn order_details(&mut self, tab: &Tab, b: &mut Burst) {
        let id = *self.rng.pick(&[1234u64, 1235, 1240, 9999]);
        let url = self.api(tab, &format!("/api/orders/{id}"));
        if id == 9999 {
            let x = Exchange::new("GET", url, 404)
                .body(None, Some(json!({ "error": "order_not_found", "message": "No order 9999" })));
            b.push(x.took(self.rng.range(30, 90)).event(tab, &mut self.rng));
            b.wait(self.rng.range(2, 10));
            self.log(
                tab,
                b,
                "warn",
                "Order 9999 not found; showing the order list",
                vec![json!("Order 9999 not found; showing the order list")],
                at("app.js", 3120, 15),
            );
        } else {
            let x = Exchange::new("GET", url, 200).body(None, Some(order_json(id)));
            b.push(x.took(self.rng.range(40, 180)).event(tab, &mut self.rng));
        }
    }

    fn update_order(&mut self, tab: &Tab, b: &mut Burst) {
        let x = Exchange::new("PUT", self.api(tab, "/api/orders/1234"), 200)
            .body(Some(json!({ "status": "shipped", "carrier": "UPS" })), Some(order_json(1234)))
            .took(self.rng.range(90, 400));
        b.push(x.event(tab, &mut self.rng));
        if let Some(socket) = self.socket.as_mut().filter(|s| s.open) {
            b.wait(self.rng.range(30, 120));
            b.push(text_frame(
                socket,
                SERVER_TO_CLIENT,
                &json!({ "type": "order.updated", "id": 1234, "status": "shipped" }),
            ));
        }
    }

    fn remove_cart_item(&mut self, tab: &Tab, b: &mut Burst) {
        let x =
            Exchange::new("DELETE", self.api(tab, "/api/cart/items/17"), 204).took(self.rng.range(40, 150));
        b.push(x.event(tab, &mut self.rng));
        b.wait(3);
        self.log(
            tab,
            b,
            "log",
            "Removed item 17 from cart",
            vec![json!("Removed item"), json!(17), json!("from cart")],
            at("app.js", 1467, 7),
        );
    }

    fn graphql(&mut self, tab: &Tab, b: &mut Burst) {
        let query = json!({
            "operationName": "Recommendations",
            "query": "query Recommendations($sku: ID!) { recommendations(sku: $sku, first: 4) { sku name price } }",
            "variables": { "sku": "TR-42-BLK-44" },
        });
        let response = json!({ "data": { "recommendations": [
            { "sku": "HX-07-RED-M", "name": "Hex Tee", "price": 24.0 },
            { "sku": "CP-11-NAV-L", "name": "Camp Pullover", "price": 59.0 },
        ] } });
        let x = Exchange::new("POST", self.api(tab, "/graphql"), 200).body(Some(query), Some(response));
        b.push(x.took(self.rng.range(90, 350)).event(tab, &mut self.rng));
    }

    fn images(&mut self, tab: &Tab, b: &mut Burst) {
        for _ in 0..self.rng.range(2, 5) {
            let n = self.rng.range(1, 60);
            let status = if self.rng.chance(0.4) { 304 } else { 200 };
            let x = Exchange::asset(
                self.api(tab, &format!("/static/img/product-{n}.webp")),
                status,
                "Image",
                "image/webp",
            );
            b.push(x.took(self.rng.range(10, 120)).event(tab, &mut self.rng));
            b.wait(self.rng.range(1, 12));
        }
    }

    fn session_expired(&mut self, tab: &mut Tab, b: &mut Burst) {
        let x = Exchange::new("GET", self.api(tab, "/api/me"), 401)
            .body(None, Some(json!({ "error": "token_expired" })));
        b.push(x.took(self.rng.range(20, 60)).event(tab, &mut self.rng));
        b.wait(4);
        self.log(
            tab,
            b,
            "warn",
            "Session expired — refreshing token",
            vec![json!("Session expired — refreshing token")],
            at("app.js", 655, 13),
        );
        b.wait(self.rng.range(3, 15));
        let refresh =
            Exchange { set_cookie: true, ..Exchange::new("POST", self.api(tab, "/api/auth/refresh"), 200) }
                .body(Some(json!({ "grant_type": "refresh_token" })), Some(json!({ "expiresIn": 3600 })));
        b.push(refresh.took(self.rng.range(60, 180)).event(tab, &mut self.rng));
        b.wait(self.rng.range(5, 20));
        let me = json!({ "id": "usr_842", "name": "Dana Smith" });
        b.push(
            Exchange::new("GET", self.api(tab, "/api/me"), 200)
                .body(None, Some(me))
                .took(40)
                .event(tab, &mut self.rng),
        );
    }

    fn checkout_fails(&mut self, tab: &Tab, b: &mut Burst) {
        let x = Exchange::new("POST", self.api(tab, "/api/checkout"), 500)
            .body(
                Some(json!({ "cartId": "c_88f1", "payment": "card" })),
                Some(json!({ "error": "internal", "traceId": "4bf92f3577b34da6" })),
            )
            .took(self.rng.range(300, 1400));
        b.push(x.event(tab, &mut self.rng));
        b.wait(self.rng.range(2, 8));
        let first = "Error: Request failed with status code 500";
        let trace = stack(
            first,
            tab.origin(),
            &[
                ("createError", at("vendor.js", 812, 15)),
                ("settle", at("vendor.js", 790, 12)),
                ("XMLHttpRequest.onloadend", at("vendor.js", 655, 7)),
                ("async submitCheckout", at("app.js", 2241, 5)),
            ],
        );
        b.push(exception(
            &format!("Uncaught (in promise) {first}"),
            trace,
            tab.origin(),
            at("vendor.js", 812, 15),
            true,
        ));
    }

    fn type_error(&mut self, tab: &Tab, b: &mut Burst) {
        let (component, field) = match tab.site.socket {
            SocketKind::Chat => ("CartSummary", "price"),
            SocketKind::LiveUpdates => ("OrderTotals", "currency"),
        };
        let first = format!("TypeError: Cannot read properties of undefined (reading '{field}')");
        let trace = stack(
            &first,
            tab.origin(),
            &[
                (component, at("app.js", 1423, 37)),
                ("renderWithHooks", at("vendor.js", 14985, 18)),
                ("updateFunctionComponent", at("vendor.js", 17356, 20)),
                ("beginWork", at("vendor.js", 19073, 16)),
                ("performUnitOfWork", at("vendor.js", 22803, 12)),
            ],
        );
        b.push(exception(&format!("Uncaught {first}"), trace, tab.origin(), at("app.js", 1423, 37), false));
    }

    fn react_warning(&mut self, tab: &Tab, b: &mut Burst) {
        if self.rng.chance(0.5) {
            // React reports missing keys through console.error, with the component stack.
            let msg = "Warning: Each child in a list should have a unique \"key\" prop.\n\nCheck the render method of `OrderTable`.";
            let trace = format!("{msg}\n    at OrderRow ({o}/static/js/app.js:3311:5)\n    at OrderTable ({o}/static/js/app.js:3270:3)\n    at div\n    at OrdersPage ({o}/static/js/app.js:3190:3)", o = tab.origin());
            b.push(console(
                "error",
                msg,
                vec![
                    json!("Warning: Each child in a list should have a unique \"key\" prop.%s%s"),
                    json!("\n\nCheck the render method of `OrderTable`."),
                    json!(""),
                ],
                tab.origin(),
                at("vendor.js", 86, 29),
                Some(trace),
            ));
        } else {
            let msg = "Warning: componentWillReceiveProps has been renamed, and is not recommended for use in strict mode. Please update the following components: LegacyDatePicker";
            let trace = stack(
                "console.warn",
                tab.origin(),
                &[("printWarning", at("vendor.js", 86, 29)), ("warn", at("vendor.js", 61, 5))],
            );
            b.push(console(
                "warn",
                msg,
                vec![json!(msg)],
                tab.origin(),
                at("vendor.js", 86, 29),
                Some(trace),
            ));
        }
    }

    fn request_fails(&mut self, tab: &Tab, b: &mut Burst) {
        if self.rng.chance(0.5) {
            let x = Exchange::new("POST", "https://metrics.acme.test/v1/collect".into(), 0)
                .body(Some(json!({ "events": [{ "name": "page_view" }] })), None)
                .took(self.rng.range(2, 20));
            b.push(network_error(tab, &mut self.rng, &x, "net::ERR_CONNECTION_REFUSED"));
            b.wait(1);
            self.log(
                tab,
                b,
                "error",
                "Failed to load resource: net::ERR_CONNECTION_REFUSED",
                vec![],
                at("app.js", 402, 21),
            );
        } else {
            let x = Exchange::new("GET", self.api(tab, "/api/recommendations?sku=TR-42"), 0).took(30_000);
            b.push(network_error(tab, &mut self.rng, &x, "net::ERR_TIMED_OUT"));
            b.wait(2);
            self.log(
                tab,
                b,
                "warn",
                "[recs] request timed out after 30000 ms; hiding the carousel",
                vec![json!("[recs] request timed out after 30000 ms; hiding the carousel")],
                at("app.js", 2510, 11),
            );
        }
    }

    fn polling(&mut self, tab: &Tab, b: &mut Burst) {
        // The same line several times over: the UI collapses duplicates.
        for _ in 0..self.rng.range(3, 6) {
            let x = Exchange::new("GET", self.api(tab, "/api/notifications?since=1718000000"), 304)
                .took(self.rng.range(15, 40));
            b.push(x.event(tab, &mut self.rng));
            self.log(
                tab,
                b,
                "log",
                "[poll] no new notifications",
                vec![json!("[poll] no new notifications")],
                at("app.js", 980, 17),
            );
            b.wait(self.rng.range(150, 400));
        }
    }

    fn socket_messages(&mut self, tab: &Tab, b: &mut Burst) {
        let Some(socket) = self.socket.as_mut().filter(|s| s.open) else { return };
        match tab.site.socket {
            SocketKind::Chat => {
                self.chat_messages += 1;
                let n = self.chat_messages;
                let text = *self.rng.pick(&[
                    "Hi! Where is my order #1234?",
                    "Can I change the size to 44?",
                    "Thanks, that helps.",
                    "Is express shipping available?",
                ]);
                b.push(text_frame(socket, CLIENT_TO_SERVER, &json!({ "type": "message", "room": "support", "clientMsgId": format!("m-{n}"), "text": text })));
                b.wait(self.rng.range(20, 70));
                b.push(text_frame(socket, SERVER_TO_CLIENT, &json!({ "type": "ack", "clientMsgId": format!("m-{n}"), "id": format!("msg_{}", 8800 + n) })));
                b.wait(self.rng.range(300, 900));
                b.push(text_frame(
                    socket,
                    SERVER_TO_CLIENT,
                    &json!({ "type": "typing", "from": "agent:sam" }),
                ));
                b.wait(self.rng.range(400, 1200));
                let reply = *self.rng.pick(&[
                    "Let me check that for you.",
                    "It shipped yesterday with UPS.",
                    "Yes, I've updated it.",
                ]);
                b.push(text_frame(
                    socket,
                    SERVER_TO_CLIENT,
                    &json!({ "type": "message", "room": "support", "from": "agent:sam", "text": reply }),
                ));
            }
            SocketKind::LiveUpdates => {
                let id = 1235 + self.rng.range(0, 40);
                b.push(text_frame(socket, SERVER_TO_CLIENT, &json!({ "type": "order.created", "order": { "id": id, "total": 89.9, "currency": "EUR", "items": 2 } })));
                b.wait(self.rng.range(100, 500));
                b.push(text_frame(
                    socket,
                    SERVER_TO_CLIENT,
                    &json!({ "type": "metrics", "activeUsers": self.rng.range(90, 160), "ordersToday": 57 }),
                ));
                b.wait(self.rng.range(5, 20));
                b.push(text_frame(socket, CLIENT_TO_SERVER, &json!({ "type": "ack", "seq": id })));
            }
        }
        b.push(console(
            "debug",
            "[ws] message",
            vec![json!("[ws] message"), json!({ "frames": socket.frames })],
            tab.origin(),
            at("app.js", 3520, 13),
            None,
        ));
    }

    fn socket_ping(&mut self, b: &mut Burst) {
        let Some(socket) = self.socket.as_mut().filter(|s| s.open) else { return };
        b.push(frame(socket, SERVER_TO_CLIENT, 9, None));
        b.wait(self.rng.range(1, 4));
        b.push(frame(socket, CLIENT_TO_SERVER, 10, None));
    }

    fn socket_binary(&mut self, b: &mut Burst) {
        let Some(socket) = self.socket.as_mut().filter(|s| s.open) else { return };
        // A MessagePack-encoded presence update: {"t":"presence","n":3} with a few more bytes.
        let mut payload = vec![0x82, 0xa1, b't', 0xa8];
        payload.extend_from_slice(b"presence");
        payload.extend_from_slice(&[0xa1, b'n', 0x03]);
        for _ in 0..self.rng.range(4, 24) {
            payload.push((self.rng.next_u64() & 0xff) as u8);
        }
        b.push(frame(socket, SERVER_TO_CLIENT, 2, Some(&payload)));
    }

    fn pick_element(&mut self, tab: &Tab, b: &mut Burst) {
        let picked = self.element(tab);
        b.push(picked);
    }

    /// An element of the current site, as if the user had picked it.
    pub fn element(&mut self, tab: &Tab) -> Event {
        let choices: &[Element] = match tab.site.socket {
            SocketKind::Chat => &SHOP_ELEMENTS,
            SocketKind::LiveUpdates => &ADMIN_ELEMENTS,
        };
        element_selected(self.rng.pick(choices))
    }

    fn chatter(&mut self, tab: &Tab, b: &mut Burst) {
        let origin = tab.origin();
        match self.rng.range(0, 4) {
            0 => b.push(console(
                "info",
                "Feature flags loaded",
                vec![
                    json!("Feature flags loaded"),
                    json!({ "newCheckout": true, "recsV2": false, "darkMode": "auto" }),
                ],
                origin,
                at("app.js", 140, 11),
                None,
            )),
            1 => b.push(console(
                "debug",
                &format!("[perf] render CartSummary took {} ms", self.rng.range(2, 40)),
                vec![],
                origin,
                at("app.js", 1460, 15),
                None,
            )),
            2 => b.push(console(
                "log",
                "[analytics] page_view",
                vec![json!("[analytics] page_view"), json!({ "path": super::site::split_url(tab.url()).1 })],
                origin,
                at("app.js", 402, 9),
                None,
            )),
            3 => b.push(console(
                "warn",
                "[deprecation] `api.v1.cart` is deprecated; use `api.v2.cart`",
                vec![],
                origin,
                at("app.js", 1302, 7),
                Some(stack(
                    "Error: deprecated",
                    origin,
                    &[("getCart", at("app.js", 1302, 7)), ("CartPage", at("app.js", 1390, 12))],
                )),
            )),
            _ => b.push(console(
                "debug",
                "[ws] heartbeat ok",
                vec![json!("[ws] heartbeat ok")],
                origin,
                at("app.js", 3501, 9),
                None,
            )),
        }
    }

    fn trace(&mut self, tab: &Tab, b: &mut Burst) {
        let trace = stack(
            "console.trace",
            tab.origin(),
            &[
                ("computeTotals", at("app.js", 1512, 13)),
                ("CartSummary", at("app.js", 1420, 21)),
                ("renderWithHooks", at("vendor.js", 14985, 18)),
            ],
        );
        b.push(console(
            "trace",
            "computeTotals called with stale cart",
            vec![json!("computeTotals called with stale cart")],
            tab.origin(),
            at("app.js", 1512, 13),
            Some(trace),
        ));
    }

    /// The user follows a link to another page of the site.
    fn wander(&mut self, tab: &mut Tab, b: &mut Burst) {
        let current = super::site::split_url(tab.url()).1.to_string();
        let next = self.rng.pick(tab.site.pages).path;
        if next == current {
            return self.chatter(tab, b);
        }
        tab.visit(&format!("{}{next}", tab.site.origin));
        for mut item in self.page_load(tab, Load::Navigate) {
            item.at_ms += b.t;
            b.items.push(item);
        }
    }
}
