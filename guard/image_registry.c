#include "image_registry.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "registry.h"
#include "source_image.h"
#include "util.h"

#define PIPE_CHUNK (128 * 1024)

struct blob_stream {
	struct guard_image_remote *remote;
	char digest[GUARD_DIGEST_MAX];
	int fds[2];			/* [0] read by the walker, [1] written by the worker */
	pthread_t worker;
	int worker_rc;
	struct guard_error worker_err;
	unsigned char buf[PIPE_CHUNK];
};

static int send_all(const void *data, size_t len, void *ctx, struct guard_error *err)
{
	struct blob_stream *b = ctx;
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(b->fds[1], p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return guard_error_set(err, GUARD_ERR_INTERNAL, "the reader stopped: %s",
					       strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *stream_blob(void *arg)
{
	struct blob_stream *b = arg;

	b->worker_rc = guard_registry_get_blob(b->remote->registry, &b->remote->ref, b->digest,
					       -1, send_all, b, &b->worker_err);
	shutdown(b->fds[1], SHUT_WR);
	return NULL;
}

/* Joins the worker once; its error wins over a short read. */
static int join_worker(struct blob_stream *b, struct guard_error *err)
{
	if (b->fds[1] >= 0) {
		pthread_join(b->worker, NULL);
		close(b->fds[1]);
		b->fds[1] = -1;
	}
	if (b->worker_rc < 0) {
		guard_error_copy(err, &b->worker_err);
		return -1;
	}
	return 0;
}

static ssize_t stream_read(void *impl, const void **data, struct guard_error *err)
{
	struct blob_stream *b = impl;
	ssize_t n;

	do
		n = recv(b->fds[0], b->buf, sizeof(b->buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return guard_error_set(err, GUARD_ERR_IO, "%s", strerror(errno));
	if (n == 0 && join_worker(b, err) < 0)
		return -1;
	*data = b->buf;
	return n;
}

static void stream_close(void *impl)
{
	struct blob_stream *b = impl;
	struct guard_error ignored = GUARD_ERROR_INIT;

	if (!b)
		return;
	/* Closing our end makes the worker's next send fail, so it stops. */
	shutdown(b->fds[0], SHUT_RDWR);
	join_worker(b, &ignored);
	close(b->fds[0]);
	free(b);
}

static int remote_open(void *impl, const char *key, struct guard_blob_source *out,
		       struct guard_error *err)
{
	struct blob_stream *b;

	if (!guard_digest_valid(key))
		return guard_error_set(err, GUARD_ERR_NOTFOUND, "'%s' is not a blob digest", key);
	b = calloc(1, sizeof(*b));
	if (!b)
		return guard_error_oom(err);
	b->remote = impl;
	snprintf(b->digest, sizeof(b->digest), "%s", key);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b->fds) < 0) {
		free(b);
		return guard_error_set(err, GUARD_ERR_INTERNAL, "socketpair failed: %s",
				       strerror(errno));
	}
	if (pthread_create(&b->worker, NULL, stream_blob, b) != 0) {
		close(b->fds[0]);
		close(b->fds[1]);
		free(b);
		return guard_error_set(err, GUARD_ERR_INTERNAL, "cannot start a download thread");
	}
	out->read = stream_read;
	out->close = stream_close;
	out->impl = b;
	return 0;
}

static int remote_manifest(void *impl, const char *digest, size_t max, struct guard_buf *out,
			   struct guard_error *err)
{
	struct guard_image_remote *remote = impl;

	guard_buf_init(out, max);
	if (guard_registry_get_manifest(remote->registry, &remote->ref, digest, out, NULL, NULL,
					err) < 0) {
		guard_buf_release(out);
		return -1;
	}
	if (!out->data && guard_buf_reserve(out, 1, err) < 0)
		return -1;
	return 0;
}

void guard_image_remote_init(struct guard_image_remote *remote,
			     const struct guard_registry_config *config)
{
	memset(remote, 0, sizeof(*remote));
	remote->config = config;
}

void guard_image_remote_release(struct guard_image_remote *remote)
{
	if (!remote)
		return;
	guard_registry_free(remote->registry);
	if (remote->has_ref)
		guard_ref_release(&remote->ref);
	memset(remote, 0, sizeof(*remote));
}

int guard_image_remote_open(void *ctx, const char *reference, struct guard_image_store *store,
			    struct guard_buf *root, char root_digest[GUARD_DIGEST_MAX],
			    struct guard_error *err)
{
	struct guard_image_remote *remote = ctx;
	char media_type[128] = "";
	const char *tag_or_digest;

	if (guard_ref_parse(&remote->ref, reference, err) < 0)
		return guard_error_prefix(err, "invalid image reference '%s'", reference);
	remote->has_ref = true;
	if (!remote->registry && guard_registry_new(&remote->registry, remote->config, err) < 0)
		return -1;
	tag_or_digest = remote->ref.digest ? remote->ref.digest
				   : (remote->ref.tag ? remote->ref.tag : "latest");
	guard_buf_init(root, GUARD_IMAGE_DEFAULT_MAX_JSON_BYTES);
	if (guard_registry_get_manifest(remote->registry, &remote->ref, tag_or_digest, root, media_type,
					root_digest, err) < 0) {
		guard_buf_release(root);
		return guard_error_prefix(err, "fetching the manifest of '%s'", reference);
	}
	if (!root->data && guard_buf_reserve(root, 1, err) < 0)
		return -1;
	memset(store, 0, sizeof(*store));
	store->open = remote_open;
	store->read_manifest = remote_manifest;
	store->impl = remote;
	store->corrupt_class = GUARD_ERR_NETWORK;
	return 0;
}
