"""Entry point of the ``terraform-provider-finopsmetrics`` executable.

Terraform starts it and speaks gRPC (plugin protocol v6) over the socket that
``tf``'s runner announces on stdout.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    import tf.provider
    from tf.runner import run_provider

    from terraform_provider_finopsmetrics.provider import FinopsProvider
    from terraform_provider_finopsmetrics.servicer import FinopsServicer

    # run_provider builds tf.provider.ProviderServicer by name; ours overrides
    # the lifecycle RPCs (see servicer.py) and keeps everything else.
    tf.provider.ProviderServicer = FinopsServicer
    run_provider(FinopsProvider(), argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
