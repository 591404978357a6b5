# Container image without a container engine: the Dockerfile (linted by
# deploy/validate), tools/ociimage (daemonless OCI image build), the size
# budget and a smoke test of the image's root file system run as uid 65532
# in a private network namespace.

IMAGE_OUT ?= bin/image

.PHONY: image
image: deb-tools ## Build the OCI image (layout and archive in bin/image) and check its 40 MB budget.
	VERSION=$(VERSION) COMMIT=$(COMMIT) OUT=$(IMAGE_OUT) scripts/build/build_image.sh

# The Go tests of tools/ociimage put the bin/shoal that `make image` built
# in the image (user, entrypoint, labels, health check, layer modes,
# reproducible digest, size); the smoke test runs the built image.
.PHONY: test-image
test-image: image ## Test the image builder, the image and its health check (root: unshare + chroot).
	cd tools/ociimage && $(GO) vet ./... && SHOAL_IMAGE_BINARY=$(CURDIR)/bin/shoal $(GO) test -count=1 ./...
	LAYOUT=$(IMAGE_OUT)/oci scripts/build/smoke_image.sh

# Static checks of this area's code outside the main module.
.PHONY: lint-image
lint-image: ## golangci-lint of tools/ociimage.
	@test -x $(GOLANGCI_LINT) || $(MAKE) --no-print-directory $(GOLANGCI_LINT)
	cd tools/ociimage && $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...

TEST_TARGETS += test-image
GATES += lint-image
