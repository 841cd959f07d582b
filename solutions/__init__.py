"""micrograd: a scalar autograd engine, neural nets and training.

``engine`` (Value), ``nn`` (Neuron, Layer, MLP), ``train`` (losses, SGD, the
training loop); ``viz`` draws graphs and plots; ``datasets`` makes toy data;
``demo`` trains the moons classifier.
"""
