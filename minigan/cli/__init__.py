"""The command lines: ``python -m minigan COMMAND [options]``.

- ``dcgan`` (:mod:`minigan.cli.train_dcgan`): a DCGAN on handwritten digits;
- ``mixture`` (:mod:`minigan.cli.train_mixture`): a GAN on a 2D Gaussian mixture, with the
  mode-collapse remedies.

Both are thin: they parse and check the flags, run the library (a
:class:`~minigan.gan.dcgan_training.DCGANRun`, :func:`~minigan.gan.run_mixture`), both on the
one :class:`~minigan.gan.Trainer` loop, and write the figures and metrics files.
What the two share is in :mod:`minigan.cli.common`. Only ``minigan/__main__.py`` imports this
package; library code, tutorials and exercises never do.
"""

COMMANDS = {
    "dcgan": ("minigan.cli.train_dcgan", "train a DCGAN on handwritten digits"),
    "mixture": ("minigan.cli.train_mixture",
                "train a GAN on a 2D Gaussian mixture and draw what happened"),
}
"""Command name -> (its module, which has ``main(argv)``; what it does)."""
