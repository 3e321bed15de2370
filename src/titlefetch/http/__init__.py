"""One URL -> Page: connections, requests and responses, codings, redirects, retries, the
deadline, proxies and the error kinds of network trouble. The only package on the network."""
