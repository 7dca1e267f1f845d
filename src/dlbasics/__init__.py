"""Deep Learning Basics: executable notes on five deep-learning topics.

Each topic has one module, read top to bottom next to its page on the site:

- [`dlbasics.style_transfer`][] — transfer learning and neural style transfer
- [`dlbasics.batch_norm`][] — batch normalization
- [`dlbasics.gradients`][] — vanishing and exploding gradients
- [`dlbasics.optimizers`][] — SGD, momentum, RMSprop, Adam, AdamW
- [`dlbasics.focal_loss`][] — focal loss

Shared helpers: [`dlbasics.plotting`][] (figures for the site),
[`dlbasics.datasets`][] (offline data) and [`dlbasics.cache`][] (the experiment cache).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
